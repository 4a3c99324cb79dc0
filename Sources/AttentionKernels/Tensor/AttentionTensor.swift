/// A dense fp32 tensor of shape [batch, heads, sequence, headDimension], row-major (C order),
/// 64-byte aligned. A reference type because it owns its storage; kernels read it through
/// pointers taken once per call.
///
/// `@unchecked Sendable`: the shape and the storage pointer never change after init; kernels
/// share a tensor across workers and write disjoint rows of it.
public final class AttentionTensor: @unchecked Sendable {
    public let batch: Int
    public let heads: Int
    public let sequenceLength: Int
    public let headDimension: Int
    public let storage: UnsafeMutableBufferPointer<Float>

    public var elementCount: Int { storage.count }
    public var shape: [Int] { [batch, heads, sequenceLength, headDimension] }
    public var byteCount: Int { storage.count * MemoryLayout<Float>.stride }

    /// Allocates a zero-filled tensor (pages are touched so the memory is resident).
    public init(batch: Int, heads: Int, sequenceLength: Int, headDimension: Int) {
        precondition(
            batch >= 1 && heads >= 1 && sequenceLength >= 1 && headDimension >= 1,
            "tensor shape must be positive, got [\(batch), \(heads), \(sequenceLength), \(headDimension)]")
        self.batch = batch
        self.heads = heads
        self.sequenceLength = sequenceLength
        self.headDimension = headDimension
        let count = batch * heads * sequenceLength * headDimension
        let typed = AlignedMemory.allocateFloats(count)
        typed.initialize(repeating: 0, count: count)
        storage = UnsafeMutableBufferPointer(start: typed, count: count)
    }

    /// Copies `values` (already in C order) into a new tensor.
    public convenience init(batch: Int, heads: Int, sequenceLength: Int, headDimension: Int, values: [Float]) {
        self.init(batch: batch, heads: heads, sequenceLength: sequenceLength, headDimension: headDimension)
        precondition(values.count == elementCount, "expected \(elementCount) values, got \(values.count)")
        _ = storage.initialize(from: values)
    }

    deinit {
        AlignedMemory.free(storage.baseAddress!)
    }

    public var baseAddress: UnsafeMutablePointer<Float> { storage.baseAddress! }

    /// Elements in one (batch, head) slice: sequenceLength × headDimension.
    public var headStride: Int { sequenceLength * headDimension }

    /// Pointer to row 0 of the (batch, head) slice.
    @inline(__always)
    public func headPointer(batch b: Int, head h: Int) -> UnsafeMutablePointer<Float> {
        baseAddress + (b * heads + h) * headStride
    }

    public subscript(b: Int, h: Int, s: Int, d: Int) -> Float {
        get { storage[((b * heads + h) * sequenceLength + s) * headDimension + d] }
        set { storage[((b * heads + h) * sequenceLength + s) * headDimension + d] = newValue }
    }

    public func fill(_ value: Float) {
        storage.update(repeating: value)
    }

    /// Fills with seeded uniform values in [-amplitude, amplitude).
    public func fillRandom(seed: UInt64, amplitude: Float = 1) {
        var generator = SplitMix64(seed: seed)
        for i in 0..<storage.count {
            storage[i] = (Float(generator.nextUnitDouble()) * 2 - 1) * amplitude
        }
    }

    public func toArray() -> [Float] { Array(storage) }
}

/// SplitMix64: a tiny, seedable, repeatable generator (Steele, Lea & Flood 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
