/// A dense tensor of shape [batch, heads, sequence, headDimension], row-major (C order), 64-byte
/// aligned, stored as `elementType` (fp32 unless given). A reference type because it owns its
/// storage; kernels read it through pointers taken once per call.
///
/// A row (one sequence position of one head) is `rowBytes` bytes: headDimension values, or for
/// q8_0 headDimension / 32 blocks of 34 bytes. Reads through the subscript and `toArray()`
/// widen to fp32; writes round to the stored type (a q8_0 write requantises the value's block).
///
/// `@unchecked Sendable`: the shape and the storage pointer never change after init; kernels
/// share a tensor across workers and write disjoint rows of it.
public final class AttentionTensor: @unchecked Sendable {
    public let batch: Int
    public let heads: Int
    public let sequenceLength: Int
    public let headDimension: Int
    public let elementType: ElementType
    /// The stored bytes.
    public let rawStorage: UnsafeMutableRawBufferPointer

    /// Values (not bytes): batch × heads × sequence × headDimension.
    public let elementCount: Int
    public var shape: [Int] { [batch, heads, sequenceLength, headDimension] }
    /// Stored bytes.
    public var byteCount: Int { rawStorage.count }
    /// Stored bytes of one row of headDimension values.
    public var rowBytes: Int { elementType.rowBytes(headDimension) }

    /// The fp32 values of an fp32 tensor.
    public var storage: UnsafeMutableBufferPointer<Float> {
        precondition(elementType == .f32, "fp32 access to a \(elementType.rawValue) tensor")
        return UnsafeMutableBufferPointer(
            start: rawStorage.baseAddress!.assumingMemoryBound(to: Float.self), count: elementCount)
    }

    /// Allocates a zero-filled tensor (pages are touched so the memory is resident).
    public init(batch: Int, heads: Int, sequenceLength: Int, headDimension: Int, elementType: ElementType = .f32) {
        precondition(
            batch >= 1 && heads >= 1 && sequenceLength >= 1 && headDimension >= 1,
            "tensor shape must be positive, got [\(batch), \(heads), \(sequenceLength), \(headDimension)]")
        precondition(
            elementType.canStoreRows(of: headDimension),
            "a q8_0 tensor needs a head dimension that is a multiple of 32, got \(headDimension)")
        self.batch = batch
        self.heads = heads
        self.sequenceLength = sequenceLength
        self.headDimension = headDimension
        self.elementType = elementType
        let count = batch * heads * sequenceLength * headDimension
        elementCount = count
        let bytes = batch * heads * sequenceLength * elementType.rowBytes(headDimension)
        let typed = AlignedMemory.allocateFloats((bytes + 3) / 4)
        typed.initialize(repeating: 0, count: (bytes + 3) / 4)
        rawStorage = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(typed), count: bytes)
    }

    /// Stores `values` (already in C order), rounded to `elementType`, in a new tensor.
    public convenience init(
        batch: Int, heads: Int, sequenceLength: Int, headDimension: Int, values: [Float],
        elementType: ElementType = .f32
    ) {
        self.init(
            batch: batch, heads: heads, sequenceLength: sequenceLength, headDimension: headDimension,
            elementType: elementType)
        precondition(values.count == elementCount, "expected \(elementCount) values, got \(values.count)")
        store(values)
    }

    deinit {
        AlignedMemory.free(rawStorage.baseAddress!.assumingMemoryBound(to: Float.self))
    }

    /// The first fp32 value of an fp32 tensor.
    public var baseAddress: UnsafeMutablePointer<Float> { storage.baseAddress! }

    /// The first stored byte.
    public var rawBaseAddress: UnsafeMutableRawPointer { rawStorage.baseAddress! }

    /// Values in one (batch, head) slice: sequenceLength × headDimension.
    public var headStride: Int { sequenceLength * headDimension }

    /// Pointer to row 0 of the (batch, head) slice of an fp32 tensor.
    @inline(__always)
    public func headPointer(batch b: Int, head h: Int) -> UnsafeMutablePointer<Float> {
        baseAddress + (b * heads + h) * headStride
    }

    /// The stored bytes of row `s` of the (batch, head) slice.
    @inline(__always)
    public func rowPointer(batch b: Int, head h: Int, row s: Int) -> UnsafeMutableRawPointer {
        rawBaseAddress + ((b * heads + h) * sequenceLength + s) * rowBytes
    }

    public subscript(b: Int, h: Int, s: Int, d: Int) -> Float {
        get {
            let index = ((b * heads + h) * sequenceLength + s) * headDimension + d
            switch elementType {
            case .f32: return rawBaseAddress.load(fromByteOffset: 4 * index, as: Float.self)
            case .bf16:
                return ElementConversion.float(
                    bfloat16Bits: rawBaseAddress.load(fromByteOffset: 2 * index, as: UInt16.self))
            case .f16:
                return ElementConversion.float(
                    halfBits: rawBaseAddress.load(fromByteOffset: 2 * index, as: UInt16.self))
            case .q8_0:
                var block = [Float](repeating: 0, count: ElementType.q8BlockValues)
                let start = d / ElementType.q8BlockValues * ElementType.q8BlockBytes
                block.withUnsafeMutableBufferPointer {
                    ElementConversion.widen(
                        rowPointer(batch: b, head: h, row: s) + start, count: ElementType.q8BlockValues, from: .q8_0,
                        destination: $0.baseAddress!)
                }
                return block[d % ElementType.q8BlockValues]
            }
        }
        set {
            let index = ((b * heads + h) * sequenceLength + s) * headDimension + d
            switch elementType {
            case .f32: rawBaseAddress.storeBytes(of: newValue, toByteOffset: 4 * index, as: Float.self)
            case .bf16:
                rawBaseAddress.storeBytes(
                    of: ElementConversion.bfloat16Bits(newValue), toByteOffset: 2 * index, as: UInt16.self)
            case .f16:
                rawBaseAddress.storeBytes(
                    of: ElementConversion.halfBits(newValue), toByteOffset: 2 * index, as: UInt16.self)
            case .q8_0:
                let n = ElementType.q8BlockValues
                let blockStart = rowPointer(batch: b, head: h, row: s) + d / n * ElementType.q8BlockBytes
                var block = [Float](repeating: 0, count: n)
                block.withUnsafeMutableBufferPointer {
                    ElementConversion.widen(
                        UnsafeRawPointer(blockStart), count: n, from: .q8_0, destination: $0.baseAddress!)
                    $0[d % n] = newValue
                    ElementConversion.narrow($0.baseAddress!, count: n, to: .q8_0, destination: blockStart)
                }
            }
        }
    }

    public func fill(_ value: Float) {
        fillRows { row in row.update(repeating: value) }
    }

    /// Fills with seeded uniform values in [-amplitude, amplitude), rounded to the stored type
    /// (the same values, before rounding, for every type).
    ///
    /// Value i of the tensor is draw i of `SplitMix64(seed:)`; runs of rows are filled in parallel
    /// on every core, each run's generator started at its first value (the generator is a counter,
    /// so the values do not depend on the split).
    public func fillRandom(seed: UInt64, amplitude: Float = 1) {
        let rows = elementCount / headDimension
        let runs = min(rows, 64)
        let d = headDimension
        ParallelFor.run(taskCount: runs, threadCount: BLAS.processorCount) { run, _ in
            let first = rows * run / runs
            let end = rows * (run + 1) / runs
            var generator = SplitMix64(seed: seed, skipping: UInt64(first * d))
            let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: d)
            defer { row.deallocate() }
            for r in first..<end {
                for i in 0..<d { row[i] = (Float(generator.nextUnitDouble()) * 2 - 1) * amplitude }
                ElementConversion.narrow(
                    row.baseAddress!, count: d, to: elementType, destination: rawBaseAddress + r * rowBytes)
            }
        }
        WorkerPool.shared.park()
    }

    /// Stores every row in order from fp32 values `body` writes into a one-row buffer (no
    /// tensor-sized temporary).
    func fillRows(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: headDimension)
        defer { row.deallocate() }
        for r in 0..<elementCount / headDimension {
            body(row)
            ElementConversion.narrow(
                row.baseAddress!, count: headDimension, to: elementType, destination: rawBaseAddress + r * rowBytes)
        }
    }

    /// Rounds `values` (C order, elementCount of them) to the stored type and stores them.
    public func store(_ values: [Float]) {
        precondition(values.count == elementCount, "expected \(elementCount) values, got \(values.count)")
        let rows = elementCount / headDimension
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                ElementConversion.narrow(
                    v.baseAddress! + r * headDimension, count: headDimension, to: elementType,
                    destination: rawBaseAddress + r * rowBytes)
            }
        }
    }

    /// Every value widened to fp32, in C order.
    public func toArray() -> [Float] {
        var values = [Float](repeating: 0, count: elementCount)
        let rows = elementCount / headDimension
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<rows {
                ElementConversion.widen(
                    UnsafeRawPointer(rawBaseAddress + r * rowBytes), count: headDimension, from: elementType,
                    destination: v.baseAddress! + r * headDimension)
            }
        }
        return values
    }

    /// Whether every stored value is finite, read row by row (no tensor-sized copy).
    public var allFinite: Bool {
        let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: headDimension)
        defer { row.deallocate() }
        for r in 0..<elementCount / headDimension {
            ElementConversion.widen(
                UnsafeRawPointer(rawBaseAddress + r * rowBytes), count: headDimension, from: elementType,
                destination: row.baseAddress!)
            if row.contains(where: { !$0.isFinite }) { return false }
        }
        return true
    }

    /// Row `s` of the (batch, head) slice widened to fp32 into `destination` (headDimension values).
    @inline(__always)
    public func widenRow(batch b: Int, head h: Int, row s: Int, into destination: UnsafeMutablePointer<Float>) {
        ElementConversion.widen(
            UnsafeRawPointer(rowPointer(batch: b, head: h, row: s)), count: headDimension, from: elementType,
            destination: destination)
    }
}

/// SplitMix64: a tiny, seedable, repeatable generator (Steele, Lea & Flood 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// The generator of `seed` after `count` draws.
    public init(seed: UInt64, skipping count: UInt64) { state = seed &+ count &* 0x9E37_79B9_7F4A_7C15 }
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
