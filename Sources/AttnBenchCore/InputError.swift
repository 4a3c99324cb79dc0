/// A value the user gave that cannot be used: names where it came from (a flag or a file), the
/// value, and what is accepted.
public struct InputError: Error, Equatable, CustomStringConvertible {
    public let source: String
    public let value: String
    public let expected: String

    public init(source: String, value: String, expected: String) {
        self.source = source
        self.value = value
        self.expected = expected
    }

    public var description: String { "\(source): invalid value '\(value)'; expected \(expected)" }
}
