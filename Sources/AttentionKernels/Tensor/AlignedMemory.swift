import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every large buffer attnbench allocates (tensors, score matrices, per-worker scratch) goes
/// through here: 64-byte aligned, counted, and optionally limited.
///
/// `setLimit(bytes:)` caps the bytes outstanding at once — the enforced memory budget of the
/// maximum-length search. An allocation that would exceed it, or that the system refuses,
/// calls the allocation-failure handler (a capped child process exits with a recognisable
/// status); without a handler it stops the process with a message naming the size.
public enum AlignedMemory {
    public typealias FailureHandler = @Sendable (_ bytes: Int) -> Never
    static let failureHandler = Mutex<FailureHandler?>(nil)
    /// Int.max when there is no limit.
    static let limit = Atomic<Int>(Int.max)
    static let outstanding = Atomic<Int>(0)
    /// Blocks freed inside `reusingFreedBlocks`, by byte count (bit patterns of their raw
    /// pointers), for the next allocation of the same size; nil outside the scope.
    static let parked = Mutex<[Int: [UInt]]?>(nil)
    /// The bit pattern every allocation is filled with, or nil (the default) to leave it as the
    /// allocator gives it. Tests set NaN to show up any float a kernel reads without writing.
    /// (1 << 32 | the bits, 0 for none.)
    static let fillOnAllocate = Atomic<UInt64>(0)

    public static func setFillOnAllocate(_ value: Float?) {
        fillOnAllocate.store(value.map { 1 << 32 | UInt64($0.bitPattern) } ?? 0, ordering: .relaxed)
    }

    /// At most this many blocks are parked at once; further frees go to the system.
    static let parkedBlockLimit = 16

    /// Called with the size of an allocation that exceeds the limit or that the system refuses.
    public static func setAllocationFailureHandler(_ handler: FailureHandler?) {
        failureHandler.withLock { $0 = handler }
    }

    /// Caps the bytes outstanding at once; nil removes the cap.
    public static func setLimit(bytes: Int?) {
        limit.store(bytes ?? Int.max, ordering: .relaxed)
    }

    public static var limitBytes: Int? {
        let value = limit.load(ordering: .relaxed)
        return value == Int.max ? nil : value
    }

    /// Bytes currently allocated through AlignedMemory.
    public static var outstandingBytes: Int { outstanding.load(ordering: .relaxed) }

    /// A 64-byte header in front of each block records its size, keeping the data aligned.
    static let header = 64

    public static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        switch tryAllocateFloats(count) {
        case .success(let pointer):
            let fill = fillOnAllocate.load(ordering: .relaxed)
            if fill != 0 {
                pointer.initialize(repeating: Float(bitPattern: UInt32(truncatingIfNeeded: fill)), count: max(1, count))
            }
            return pointer
        case .failure(let failure): fail(failure.bytes)
        }
    }

    /// The bytes of an allocation that was refused (over the limit, or by the system).
    public struct AllocationFailure: Error, Equatable {
        public let bytes: Int
        public init(bytes: Int) { self.bytes = bytes }
    }

    /// Like `allocateFloats`, but a refused allocation is returned, not handled.
    public static func tryAllocateFloats(_ count: Int) -> Result<UnsafeMutablePointer<Float>, AllocationFailure> {
        let (bytes, overflow) = max(1, count).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        if overflow || bytes > Int.max / 2 { return .failure(AllocationFailure(bytes: Int.max)) }
        let now = outstanding.wrappingAdd(bytes, ordering: .relaxed).newValue
        if now > limit.load(ordering: .relaxed) {
            outstanding.wrappingSubtract(bytes, ordering: .relaxed)
            return .failure(AllocationFailure(bytes: bytes))
        }
        if let reused = takeParkedBlock(bytes: bytes) {
            return .success((reused + header).bindMemory(to: Float.self, capacity: max(1, count)))
        }
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes + header) != 0 || raw == nil {
            outstanding.wrappingSubtract(bytes, ordering: .relaxed)
            return .failure(AllocationFailure(bytes: bytes))
        }
        raw!.storeBytes(of: bytes, as: Int.self)
        return .success((raw! + header).bindMemory(to: Float.self, capacity: max(1, count)))
    }

    public static func free(_ pointer: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(pointer) - header
        let bytes = raw.load(as: Int.self)
        outstanding.wrappingSubtract(bytes, ordering: .relaxed)
        let kept = parked.withLock { blocks -> Bool in
            guard blocks != nil, blocks!.values.reduce(0, { $0 + $1.count }) < parkedBlockLimit else { return false }
            blocks![bytes, default: []].append(UInt(bitPattern: raw))
            return true
        }
        if !kept { freeBlock(raw) }
    }

    /// Runs `body` with freed blocks kept for the next allocation of the same size instead of
    /// going back to the system, and returns them all when it ends. A kernel's repeated calls
    /// then reuse the workspace of the call before, as a runtime's allocator or arena keeps
    /// memory between calls, instead of faulting fresh pages in on every call (which also costs
    /// kernel time that grows with the thread count). Blocks come back as they were left: a
    /// caller that needs zeros writes them. Scopes do not nest.
    public static func reusingFreedBlocks<T>(_ body: () throws -> T) rethrows -> T {
        parked.withLock { $0 = [:] }
        defer {
            let blocks = parked.withLock { blocks -> [Int: [UInt]] in
                defer { blocks = nil }
                return blocks ?? [:]
            }
            for address in blocks.values.joined() {
                freeBlock(UnsafeMutableRawPointer(bitPattern: address)!)
            }
        }
        return try body()
    }

    static func takeParkedBlock(bytes: Int) -> UnsafeMutableRawPointer? {
        parked.withLock { blocks -> UnsafeMutableRawPointer? in
            guard let address = blocks?[bytes]?.popLast() else { return nil }
            return UnsafeMutableRawPointer(bitPattern: address)
        }
    }

    static func fail(_ bytes: Int) -> Never {
        if let handler = failureHandler.withLock({ $0 }) { handler(bytes) }
        fatalError("out of memory allocating \(bytes) bytes (limit \(limitBytes.map(String.init) ?? "none"))")
    }
}

#if canImport(Glibc)
    @inline(__always) private func freeBlock(_ raw: UnsafeMutableRawPointer) { Glibc.free(raw) }
#elseif canImport(Darwin)
    @inline(__always) private func freeBlock(_ raw: UnsafeMutableRawPointer) { Darwin.free(raw) }
#endif
