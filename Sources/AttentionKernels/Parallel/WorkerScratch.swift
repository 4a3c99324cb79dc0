/// Per-worker scratch: one aligned float buffer per worker, allocated once per kernel call and
/// handed out by worker index, so the hot loop never allocates.
///
/// `@unchecked Sendable`: the buffer pointer is fixed at init and each worker writes only its
/// own slice (worker indices are distinct within one parallel region).
public final class WorkerScratch: @unchecked Sendable {
    public let floatsPerWorker: Int
    private let base: UnsafeMutablePointer<Float>
    private let workers: Int

    /// `zeroed: false` leaves the floats as the allocator gives them (a caller that writes every
    /// float it reads, and saves a pass over the buffer).
    public init(workers: Int, floatsPerWorker: Int, zeroed: Bool = true) {
        self.workers = max(1, workers)
        // Round each slice up to a cache line so workers never share one.
        self.floatsPerWorker = (max(1, floatsPerWorker) + 15) / 16 * 16
        let total = self.workers * self.floatsPerWorker
        base = AlignedMemory.allocateFloats(total)
        if zeroed { base.initialize(repeating: 0, count: total) }
    }

    deinit { AlignedMemory.free(base) }

    @inline(__always)
    public func buffer(worker: Int) -> UnsafeMutablePointer<Float> {
        base + worker * floatsPerWorker
    }

    public var byteCount: Int { workers * floatsPerWorker * 4 }
}
