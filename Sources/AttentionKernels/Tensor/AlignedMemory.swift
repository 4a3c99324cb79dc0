#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every large buffer attnbench allocates (tensors, score matrices, per-worker scratch) goes
/// through here: 64-byte aligned, and an allocation failure is reported, not a bare trap.
///
/// A process measuring the maximum sequence length under a memory cap installs
/// `allocationFailureHandler` to exit with a recognisable status; otherwise a failure stops
/// the process with a message that names the size.
public enum AlignedMemory {
    nonisolated(unsafe) public static var allocationFailureHandler: (@Sendable (_ bytes: Int) -> Never)?

    public static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes) != 0 || raw == nil {
            if let handler = allocationFailureHandler { handler(bytes) }
            preconditionFailure("out of memory allocating \(bytes) bytes")
        }
        return raw!.bindMemory(to: Float.self, capacity: max(1, count))
    }

    public static func free(_ pointer: UnsafeMutablePointer<Float>) {
        Glibc.free(UnsafeMutableRawPointer(pointer))
    }
}
