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

    public init(
        attnbenchVersion: String, gitCommit: String, dateUTC: String, hostname: String, cpuModel: String,
        cpuCores: Int, openblasEnvironment: String, seed: UInt64
    ) {
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

    /// Fills the context columns of a row. BLAS identity comes from the process that measured.
    public func annotate(_ row: inout ResultRow, blas: BLASIdentity?) {
        row[.attnbenchVersion] = attnbenchVersion
        row[.gitCommit] = gitCommit
        row[.dateUTC] = dateUTC
        row[.hostname] = hostname
        row[.cpuModel] = cpuModel
        row[value: .cpuCores] = .integer(cpuCores)
        row[.openblasEnvironment] = openblasEnvironment
        row[.seed] = String(seed)
        if let blas {
            row[.openblasVersion] = blas.version
            row[.openblasCore] = blas.core
            row[.openblasConfig] = blas.configuration
            row[value: .openblasThreads] = .integer(blas.threads)
        }
    }
}

extension BLASIdentity {
    /// The OpenBLAS this process runs.
    public static func current() -> BLASIdentity {
        BLASIdentity(
            version: BLAS.version, core: BLAS.coreName, configuration: BLAS.configuration, threads: BLAS.threadCount)
    }
}
