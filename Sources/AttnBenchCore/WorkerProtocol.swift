/// What the sweep asks a child process to do, as JSON on its command line, and what the child
/// answers on stdout. One configuration per child keeps peak memory and BLAS state isolated.
public struct WorkerRequest: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        /// Time and check one configuration.
        case measure
        /// Run once under a memory cap (maximum-length search).
        case attempt
    }

    public var mode: Mode
    public var configuration: SweepConfiguration
    public var policy: RepetitionPolicy
    public var seed: UInt64
    /// Extra bytes the child may allocate after start-up (RLIMIT_AS above its baseline).
    public var memoryLimitBytes: Int?
    public var errorCheckBudget: Int
    /// measure: roofline samples to interleave with the repetitions (nil: none).
    public var roofline: RooflineSampling?
    /// The process that started the worker: the worker dies with it (nil: no watch).
    public var parentProcessIdentifier: Int32?

    public init(
        mode: Mode, configuration: SweepConfiguration, policy: RepetitionPolicy = RepetitionPolicy(),
        seed: UInt64 = 0x5EED, memoryLimitBytes: Int? = nil, errorCheckBudget: Int = 50_000_000,
        roofline: RooflineSampling? = nil
    ) {
        self.roofline = roofline
        self.mode = mode
        self.configuration = configuration
        self.policy = policy
        self.seed = seed
        self.memoryLimitBytes = memoryLimitBytes
        self.errorCheckBudget = errorCheckBudget
    }
}

public struct WorkerResponse: Sendable, Codable, Equatable {
    public var measurement: KernelMeasurementResult?
    public var attemptSeconds: Double?
    public var blas: BLASIdentity
    public var error: String?

    public init(
        measurement: KernelMeasurementResult? = nil, attemptSeconds: Double? = nil, blas: BLASIdentity,
        error: String? = nil
    ) {
        self.measurement = measurement
        self.attemptSeconds = attemptSeconds
        self.blas = blas
        self.error = error
    }

    /// Exit status a child uses when an allocation failed under its memory cap.
    public static let outOfMemoryExitCode: Int32 = 86
}

/// Which OpenBLAS a process runs.
public struct BLASIdentity: Sendable, Codable, Equatable {
    public var version: String
    public var core: String
    public var configuration: String
    public var threads: Int

    public init(version: String, core: String, configuration: String, threads: Int) {
        self.version = version
        self.core = core
        self.configuration = configuration
        self.threads = threads
    }
}
