/// One cell of a result row: a value of the type its column holds, formatted once, by
/// `csvText`, when the row is written.
public enum ResultValue: Sendable, Equatable {
    /// Text: names, messages, enum values; also every cell of a row read from a CSV.
    case text(String)
    case integer(Int)
    case boolean(Bool)
    /// A number and the precision the CSV gives it.
    case number(Double, CSVNumber)
    /// Several numbers, space-separated in the CSV (raw samples, process medians).
    case numbers([Double], CSVNumber)
    /// Several integers, space-separated in the CSV (key lengths).
    case integers([Int])

    public var csvText: String {
        switch self {
        case .text(let text): return text
        case .integer(let value): return String(value)
        case .boolean(let value): return String(value)
        case .number(let value, let format): return format.format(value)
        case .numbers(let values, let format): return values.map(format.format).joined(separator: " ")
        case .integers(let values): return values.map(String.init).joined(separator: " ")
        }
    }

    /// The value as a number (text is parsed), or nil.
    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value, _): return value
        case .text(let text): return Double(text)
        default: return nil
        }
    }

    /// The value as an integer (text is parsed), or nil.
    public var integer: Int? {
        switch self {
        case .integer(let value): return value
        case .text(let text): return Int(text)
        default: return nil
        }
    }

    /// The value as a list of numbers (text is split on spaces and parsed).
    public var numbers: [Double] {
        switch self {
        case .numbers(let values, _): return values
        case .integers(let values): return values.map(Double.init)
        case .number(let value, _): return [value]
        case .integer(let value): return [Double(value)]
        case .text(let text): return text.split(separator: " ").compactMap { Double($0) }
        case .boolean: return []
        }
    }
}
