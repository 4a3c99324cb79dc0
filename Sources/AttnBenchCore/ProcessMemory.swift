#if canImport(Glibc)
    import Glibc
#endif
import CSystemShims

/// The one file that reads the process's memory counters (Linux /proc/self/status) and resets
/// its resident high-water mark (`echo 5 > /proc/self/clear_refs` sets VmHWM to the current
/// VmRSS, Linux ≥ 4.0). Values are bytes.
public enum ProcessMemory {
    public struct Snapshot: Sendable, Equatable {
        /// VmRSS: resident now.
        public var residentBytes: Int
        /// VmHWM: resident high-water mark since start or the last reset.
        public var peakResidentBytes: Int
        /// VmSize: address space now.
        public var virtualBytes: Int
    }

    public static func snapshot() -> Snapshot? {
        guard let text = readFile("/proc/self/status") else { return nil }
        var rss = -1
        var hwm = -1
        var size = -1
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") {
                rss = kilobytes(line)
            } else if line.hasPrefix("VmHWM:") {
                hwm = kilobytes(line)
            } else if line.hasPrefix("VmSize:") {
                size = kilobytes(line)
            }
        }
        guard rss >= 0, hwm >= 0, size >= 0 else { return nil }
        return Snapshot(residentBytes: rss * 1024, peakResidentBytes: hwm * 1024, virtualBytes: size * 1024)
    }

    /// Resets VmHWM to the current VmRSS. Returns false where that is not supported.
    @discardableResult
    public static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        if fd < 0 { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    static func kilobytes(_ line: Substring) -> Int {
        let digits = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? ""
        return Int(digits.filter { $0.isNumber }) ?? -1
    }

    /// Reads a small text file (procfs reports size 0, so read until EOF).
    public static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        if fd < 0 { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fixes glibc's allocator so measurements are honest: large blocks are always mmap'ed
    /// (and returned on free) instead of the dynamic threshold keeping them resident in the
    /// heap, and one arena, so worker threads do not reserve 64 MiB arenas of address space.
    public static func configureAllocatorForMeasurement() {
        _ = attnbench_configure_malloc_for_measurement()
    }

    /// Caps the address space at `bytes` (RLIMIT_AS). Returns false if the limit was refused.
    public static func limitAddressSpace(bytes: Int) -> Bool {
        attnbench_limit_address_space(UInt64(bytes)) == 0
    }
}

extension ProcessMemory {
    /// MemAvailable from /proc/meminfo, in bytes; nil where the system does not say.
    public static func availableBytes() -> Int? {
        guard let text = readFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let value = kilobytes(line)
            return value >= 0 ? value * 1024 : nil
        }
        return nil
    }
}
