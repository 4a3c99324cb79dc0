public enum KernelConfigurationError: Error, Equatable, CustomStringConvertible {
    case blockSize(axis: String, value: Int)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    case elementTypeMismatch(tensor: String, expected: ElementType, actual: ElementType)
    /// A blocked variant given no block sizes, or naive given some.
    case blockSizesMismatch(variant: AttentionVariant, given: Bool)

    public var description: String {
        switch self {
        case let .blockSize(axis, value):
            return "\(axis) block size must be at least 1, got \(value)"
        case let .shapeMismatch(tensor, expected, actual):
            return "\(tensor) has shape \(actual), expected \(expected)"
        case let .elementTypeMismatch(tensor, expected, actual):
            return "\(tensor) is stored as \(actual.rawValue), expected \(expected.rawValue)"
        case let .blockSizesMismatch(variant, given):
            return "\(variant.rawValue) \(given ? "takes no" : "needs") block sizes"
        }
    }
}
