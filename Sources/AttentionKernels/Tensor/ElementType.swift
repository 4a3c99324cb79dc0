/// How the elements of a tensor are stored. Arithmetic is fp32 everywhere; the type says what a
/// kernel reads and writes, and so how many bytes it moves and holds.
///
/// - `f32`: IEEE binary32.
/// - `bf16`: the upper 16 bits of a binary32 (8-bit exponent, 7-bit mantissa), rounded to
///   nearest even; the storage type of Llama 3, Mistral, Qwen2 and Gemma 2 checkpoints.
/// - `f16`: IEEE binary16 (5-bit exponent, 10-bit mantissa), rounded to nearest even; values
///   beyond ±65504 become ±∞. llama.cpp's default K/V cache type.
/// - `q8_0`: ggml's 8-bit block format, for K/V caches only: each run of 32 values along the
///   head dimension is one fp16 scale d = max|x|/127 and 32 int8 codes round(x/d), 34 bytes;
///   the value is d·code.
public enum ElementType: String, Sendable, Hashable, Codable, CaseIterable {
    case f32
    case bf16
    case f16
    case q8_0

    /// Values per q8_0 block.
    public static let q8BlockValues = 32
    /// Bytes per q8_0 block: an fp16 scale and 32 int8 codes.
    public static let q8BlockBytes = 34

    /// Stored bytes of one row of `count` values (for q8_0 `count` is a multiple of 32).
    public func rowBytes(_ count: Int) -> Int {
        switch self {
        case .f32: return 4 * count
        case .bf16, .f16: return 2 * count
        case .q8_0: return count / Self.q8BlockValues * Self.q8BlockBytes
        }
    }

    /// Stored bytes per value, on average (4, 2, 2, 34/32).
    public var bytesPerValue: Double { Double(rowBytes(Self.q8BlockValues)) / Double(Self.q8BlockValues) }

    /// The unit roundoff of one rounding to this type, relative to the value (q8_0: relative to
    /// its block's largest magnitude, half a code step of 1/127, plus the fp16 scale's rounding).
    public var unitRoundoff: Double {
        switch self {
        case .f32: return 0x1p-24
        case .bf16: return 0x1p-8
        case .f16: return 0x1p-11
        case .q8_0: return 0.5 / 127 + 0x1p-11
        }
    }

    /// Whether Q and O may be stored in this type (q8_0 is a K/V cache format only).
    public var isTensorType: Bool { self != .q8_0 }

    /// Whether a row of `headDimension` values can be stored: q8_0 needs whole blocks of 32.
    public func canStoreRows(of headDimension: Int) -> Bool {
        self != .q8_0 || headDimension % Self.q8BlockValues == 0
    }
}
