import ArgumentParser
import AttentionKernels
import AttnBenchCore

/// What a flag accepts, said when its value cannot be read. ArgumentParser prints it after
/// "The value 'X' is invalid for '--flag <flag>':", so the one line names flag, value and fix.
public struct ArgumentValueError: Error, CustomStringConvertible {
    /// The item of a list that was refused, when the value is a list.
    public var item: String?
    public let expected: String

    public init(item: String? = nil, expected: String) {
        self.item = item
        self.expected = expected
    }

    public var description: String { (item.map { "'\($0)' is not accepted; " } ?? "") + "expected \(expected)" }
}

/// The typed values of the command line's list flags. Every list is comma-separated; an
/// empty item, a sign, a base prefix or a misplaced suffix is refused.
public enum ArgumentValues {
    /// "512,1k,4k" → [512, 1024, 4096]: integers ≥ `minimum`, `k` ×1024, `m` ×1024².
    public static func counts(_ text: String, minimum: Int = 1, example: String = "512,1k,4k") throws -> [Int] {
        try items(text).map { item in
            guard let value = count(item), value >= minimum else {
                throw ArgumentValueError(
                    item: item,
                    expected:
                        "integers ≥ \(minimum), optionally with a k suffix (×1024), comma-separated, e.g. \(example)")
            }
            return value
        }
    }

    /// One count with an optional k (×1024) or m (×1024²) suffix; nil for anything else.
    public static func count(_ item: String) -> Int? {
        var digits = Substring(item.lowercased())
        var multiplier = 1
        if digits.hasSuffix("k") {
            multiplier = 1024
            digits = digits.dropLast()
        } else if digits.hasSuffix("m") {
            multiplier = 1024 * 1024
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int(digits)
        else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// The items of a comma list, trimmed; throws on an empty list or item.
    public static func items(_ text: String) throws -> [String] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        if parts.isEmpty || parts.contains(where: \.isEmpty) {
            throw ArgumentValueError(expected: "a comma-separated list without empty items")
        }
        return parts
    }

    /// Items each one of a fixed vocabulary (case-insensitive), mapped to their values.
    public static func choices<Value>(_ text: String, _ vocabulary: [(String, [Value])], what: String) throws -> [Value]
    {
        let names = vocabulary.map(\.0).joined(separator: ", ")
        return try items(text).flatMap { item in
            guard let entry = vocabulary.first(where: { $0.0 == item.lowercased() }) else {
                throw ArgumentValueError(item: item, expected: "\(what): one or more of \(names), comma-separated")
            }
            return entry.1
        }
    }

    public static func variants(_ text: String) throws -> [AttentionVariant] {
        try choices(text, AttentionVariant.allCases.map { ($0.rawValue, [$0]) }, what: "variants")
    }

    /// "on", "off", "on,off"; "both" is "off,on".
    public static func causal(_ text: String) throws -> [Bool] {
        try choices(text, [("off", [false]), ("on", [true]), ("both", [false, true])], what: "causal masking")
    }

    /// The names an element type is given by: attnbench's, and NumPy's and PyTorch's spellings.
    static let elementTypeNames: [(String, [ElementType])] = [
        ("f32", [.f32]), ("fp32", [.f32]), ("float32", [.f32]), ("bf16", [.bf16]), ("bfloat16", [.bf16]),
        ("f16", [.f16]), ("fp16", [.f16]), ("float16", [.f16]), ("half", [.f16]), ("q8_0", [.q8_0]),
    ]

    /// `--dtype`: f32, bf16, f16 (a list), or 'model' for each model preset's `torch_dtype`.
    public static func elementTypes(_ text: String) throws -> ModelAxis<ElementType> {
        if text.trimmingSpaces().lowercased() == "model" { return .model(fallback: [.f32]) }
        if try items(text).contains(where: { $0.lowercased() == "model" }) {
            throw ArgumentValueError(
                item: "model", expected: "'model' alone (each preset's torch_dtype), or a list of f32, bf16, f16")
        }
        let types: [ElementType]
        do { types = try choices(text, elementTypeNames, what: "element types") } catch let error as ArgumentValueError
        {
            throw ArgumentValueError(
                item: error.item ?? text, expected: "f32, bf16 or f16 (a list), or model; also fp32, bfloat16, fp16")
        }
        if types.contains(.q8_0) {
            throw ArgumentValueError(
                item: "q8_0", expected: "f32, bf16, f16 or model (q8_0 is a K/V cache format: give --kv-dtype q8_0)")
        }
        return .given(types)
    }

    /// `--kv-dtype`: same (as `--dtype`), f32, bf16, f16 or q8_0, a list.
    public static func keyValueElementTypes(_ text: String) throws -> [ElementType?] {
        do {
            return try choices(
                text, [("same", [nil])] + elementTypeNames.map { ($0.0, $0.1.map(Optional.some)) },
                what: "K/V element types")
        } catch let error as ArgumentValueError {
            throw ArgumentValueError(
                item: error.item ?? text, expected: "same, f32, bf16, f16 or q8_0 (a list); also fp32, bfloat16, fp16")
        }
    }

    /// "seq,1": 'seq' (or 'same') for as long as the keys, or fixed lengths ≥ 1.
    public static func queryLengths(_ text: String) throws -> [QueryLength] {
        try items(text).map { item in
            if ["seq", "same"].contains(item.lowercased()) { return .sequence }
            guard let value = count(item), value >= 1 else {
                throw ArgumentValueError(
                    item: item, expected: "'seq' (as long as the keys) or lengths ≥ 1, comma-separated, e.g. seq,1")
            }
            return .fixed(value)
        }
    }

    /// "auto" or block sizes ≥ 1, e.g. auto,64.
    public static func blocks(_ text: String) throws -> [BlockSizeRequest] {
        try items(text).map { item in
            if item.lowercased() == "auto" { return .automatic }
            guard let value = count(item), value >= 1 else {
                throw ArgumentValueError(
                    item: item, expected: "'auto' or block sizes ≥ 1, comma-separated, e.g. 64,128")
            }
            return .fixed(value)
        }
    }

    /// "none,4096": no window, or windows of at least 1 key.
    public static func windows(_ text: String) throws -> [Int?] {
        try items(text).map { item -> Int? in
            if item.lowercased() == "none" { return nil }
            guard let value = count(item), value >= 1 else {
                throw ArgumentValueError(
                    item: item, expected: "'none' or windows of at least 1 key, comma-separated, e.g. none,4096")
            }
            return value
        }
    }

    public static func models(_ text: String) throws -> [ModelPreset] {
        try items(text).map { item in
            guard let model = ModelPreset.named(item) else {
                throw ArgumentValueError(
                    item: item,
                    expected: "model presets: \(ModelPreset.all.map(\.name).joined(separator: ", ")) (attnbench models)"
                )
            }
            return model
        }
    }

    public static func blasCores(_ text: String) throws -> [BLASCore] {
        try items(text).map { item in
            guard let core = BLASCore(name: item) else {
                throw ArgumentValueError(
                    item: item, expected: "'env' or OpenBLAS core names: \(BLASCore.knownNames.joined(separator: ", "))"
                )
            }
            return core
        }
    }

    /// "auto" (the automatic rule), "slices" or "blas".
    public static func naiveStrategies(_ text: String) throws -> [NaiveAttention.Strategy?] {
        try choices(text, [("auto", [nil]), ("slices", [.slices]), ("blas", [.blas])], what: "naive strategies")
    }

    /// "full", "ragged", or one valid key length ≥ 0 per batch element.
    public static func keyLengths(_ text: String) throws -> KeyLengthChoice {
        switch text.trimmingSpaces().lowercased() {
        case "full": return .full
        case "ragged": return .ragged(seed: 0)
        default:
            do { return .explicit(try counts(text, minimum: 0, example: "512,300")) } catch {
                throw ArgumentValueError(expected: "'full', 'ragged' or one length ≥ 0 per batch element, e.g. 512,300")
            }
        }
    }

    /// One seconds value: finite and ≥ 0 (> 0 when `positive`).
    public static func seconds(_ text: String, positive: Bool = false) throws -> Double {
        let item = text.trimmingSpaces()
        guard item.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE-+".contains($0)) }), let value = Double(item),
            value.isFinite, positive ? value > 0 : value >= 0
        else {
            throw ArgumentValueError(expected: positive ? "seconds > 0, e.g. 5" : "seconds ≥ 0, e.g. 0.2")
        }
        return value
    }

    /// One whole number ≥ `minimum`.
    public static func integer(_ text: String, minimum: Int) throws -> Int {
        let item = text.trimmingSpaces()
        guard !item.isEmpty, item.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(item), value >= minimum
        else {
            throw ArgumentValueError(expected: "a whole number ≥ \(minimum)")
        }
        return value
    }
}
