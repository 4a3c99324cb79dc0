import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every large buffer attnbench allocates (tensors, score matrices, per-worker scratch) goes
/// through here: 64-byte aligned, counted, and optionally limited.
///
/// `limitBytes` caps the bytes outstanding at once — the enforced memory budget of the
/// maximum-length search. An allocation that would exceed it, or that the system refuses,
/// calls `allocationFailureHandler` (a capped child process exits with a recognisable status);
/// without a handler it stops the process with a message naming the size.
public enum AlignedMemory {
    nonisolated(unsafe) public static var allocationFailureHandler: (@Sendable (_ bytes: Int) -> Never)?
    nonisolated(unsafe) public static var limitBytes: Int? = nil
    static let outstanding = Atomic<Int>(0)

    /// Bytes currently allocated through AlignedMemory.
    public static var outstandingBytes: Int { outstanding.load(ordering: .relaxed) }

    /// A 64-byte header in front of each block records its size, keeping the data aligned.
    static let header = 64

    public static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let (bytes, overflow) = max(1, count).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        if overflow || bytes > Int.max / 2 { fail(Int.max) }
        let now = outstanding.wrappingAdd(bytes, ordering: .relaxed).newValue
        if let limit = limitBytes, now > limit {
            outstanding.wrappingSubtract(bytes, ordering: .relaxed)
            fail(bytes)
        }
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes + header) != 0 || raw == nil {
            outstanding.wrappingSubtract(bytes, ordering: .relaxed)
            fail(bytes)
        }
        raw!.storeBytes(of: bytes, as: Int.self)
        return (raw! + header).bindMemory(to: Float.self, capacity: max(1, count))
    }

    public static func free(_ pointer: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(pointer) - header
        let bytes = raw.load(as: Int.self)
        outstanding.wrappingSubtract(bytes, ordering: .relaxed)
        Glibc.free(raw)
    }

    static func fail(_ bytes: Int) -> Never {
        if let handler = allocationFailureHandler { handler(bytes) }
        // fatalError, not preconditionFailure: it must stop the process in -Ounchecked builds too.
        fatalError("out of memory allocating \(bytes) bytes (limit \(limitBytes.map(String.init) ?? "none"))")
    }
}
