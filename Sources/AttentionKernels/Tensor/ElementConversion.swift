import CMicroKernels

/// Rounding fp32 values to a storage type and widening them back, row by row. Every kernel and
/// the reference read stored values through these, so a value means the same everywhere.
public enum ElementConversion {
    /// bf16 bits of `x`, rounded to nearest even; NaN stays a (quiet) NaN.
    @inline(__always)
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// The fp32 value of bf16 bits (exact).
    @inline(__always)
    public static func float(bfloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// fp16 bits of `x`, rounded to nearest even (IEEE), ±∞ beyond ±65504.
    @inline(__always)
    public static func halfBits(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// The fp32 value of fp16 bits (exact).
    @inline(__always)
    public static func float(halfBits bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Stores `count` values of `source` as `type` at `destination` (`count` a multiple of 32
    /// for q8_0, quantised block by block as ggml's reference `quantize_row_q8_0` does:
    /// d = max|x|/127, codes roundf(x/d), d as fp16).
    public static func narrow(
        _ source: UnsafePointer<Float>, count: Int, to type: ElementType, destination: UnsafeMutableRawPointer
    ) {
        switch type {
        case .f32:
            destination.assumingMemoryBound(to: Float.self).update(from: source, count: count)
        case .bf16:
            attnbench_narrow_bf16(source, count, destination.assumingMemoryBound(to: UInt16.self))
        case .f16:
            attnbench_narrow_f16(source, count, destination.assumingMemoryBound(to: UInt16.self))
        case .q8_0:
            precondition(count % ElementType.q8BlockValues == 0, "q8_0 rows hold whole blocks of 32 values")
            attnbench_quantize_q8_0(source, count, destination)
        }
    }

    /// Widens `count` stored values of `type` at `source` to fp32.
    @inline(__always)
    public static func widen(
        _ source: UnsafeRawPointer, count: Int, from type: ElementType, destination: UnsafeMutablePointer<Float>
    ) {
        switch type {
        case .f32:
            destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .bf16:
            attnbench_widen_bf16(source.assumingMemoryBound(to: UInt16.self), count, destination)
        case .f16:
            attnbench_widen_f16(source.assumingMemoryBound(to: UInt16.self), count, destination)
        case .q8_0:
            attnbench_widen_q8_0(source, count, destination)
        }
    }

    /// `values` rounded to `type` and widened back: what a kernel reading them sees.
    public static func rounded(_ values: [Float], to type: ElementType) -> [Float] {
        guard type != .f32 else { return values }
        var result = [Float](repeating: 0, count: values.count)
        var stored = [UInt8](repeating: 0, count: type.rowBytes(values.count))
        values.withUnsafeBufferPointer { v in
            stored.withUnsafeMutableBytes { s in
                narrow(v.baseAddress!, count: values.count, to: type, destination: s.baseAddress!)
                result.withUnsafeMutableBufferPointer { r in
                    widen(
                        UnsafeRawPointer(s.baseAddress!), count: values.count, from: type, destination: r.baseAddress!)
                }
            }
        }
        return result
    }
}
