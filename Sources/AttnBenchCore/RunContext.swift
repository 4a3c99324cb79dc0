import AttentionKernels

/// Everything a reader of a CSV from another machine needs to know about what produced it.
/// Written into every row.
public struct RunContext: Sendable, Equatable {
    public var attnbenchVersion: String
    public var gitCommit: String
    public var dateUTC: String
    public var hostname: String
    public var cpuModel: String
    public var cpuCores: Int
    /// OPENBLAS_* variables of the environment, "NAME=value" joined by spaces (sorted).
    public var openblasEnvironment: String
    public var seed: UInt64

    public init(attnbenchVersion: String, gitCommit: String, dateUTC: String, hostname: String, cpuModel: String,
                cpuCores: Int, openblasEnvironment: String, seed: UInt64) {
        self.attnbenchVersion = attnbenchVersion
        self.gitCommit = gitCommit
        self.dateUTC = dateUTC
        self.hostname = hostname
        self.cpuModel = cpuModel
        self.cpuCores = cpuCores
        self.openblasEnvironment = openblasEnvironment
        self.seed = seed
    }

    /// The CPU model from /proc/cpuinfo ("model name"), or "unknown".
    public static func cpuModelName() -> String {
        guard let text = ProcessMemory.readFile("/proc/cpuinfo") else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingSpaces() }
        }
        return "unknown"
    }

    /// One core's L2 cache in bytes, from /sys/devices/system/cpu/cpu0/cache (the unified or
    /// data cache of level 2); nil when the system does not say.
    public static func level2CacheBytes() -> Int? {
        for index in 0..<8 {
            let directory = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let level = ProcessMemory.readFile(directory + "level")?.trimmingSpaces(), level == "2",
                  let type = ProcessMemory.readFile(directory + "type")?.trimmingSpaces(), type != "Instruction",
                  let size = ProcessMemory.readFile(directory + "size")?.trimmingSpaces() else { continue }
            return parseCacheSize(size)
        }
        return nil
    }

    /// "512K", "1M", "1048576" → bytes.
    public static func parseCacheSize(_ text: String) -> Int? {
        let multiplier: Int
        var digits = Substring(text)
        switch text.last {
        case "K", "k": multiplier = 1 << 10; digits = digits.dropLast()
        case "M", "m": multiplier = 1 << 20; digits = digits.dropLast()
        default: multiplier = 1
        }
        guard let value = Int(digits), value > 0 else { return nil }
        return value * multiplier
    }

    /// Fills the context columns of a row. BLAS identity comes from the process that measured.
    public func annotate(_ row: inout ResultRow, blas: BLASIdentity?) {
        row[.attnbenchVersion] = attnbenchVersion
        row[.gitCommit] = gitCommit
        row[.dateUTC] = dateUTC
        row[.hostname] = hostname
        row[.cpuModel] = cpuModel
        row[.cpuCores] = String(cpuCores)
        row[.openblasEnvironment] = openblasEnvironment
        row[.seed] = String(seed)
        if let blas {
            row[.openblasVersion] = blas.version
            row[.openblasCore] = blas.core
            row[.openblasConfig] = blas.configuration
            row[.openblasThreads] = String(blas.threads)
        }
    }
}

extension BLASIdentity {
    /// The OpenBLAS this process runs.
    public static func current() -> BLASIdentity {
        BLASIdentity(version: BLAS.version, core: BLAS.coreName, configuration: BLAS.configuration, threads: BLAS.threadCount)
    }
}
