import Foundation

/// The CSV schema: every column attnbench writes, in order. Units are in the names.
/// schema/columns.json describes the same columns (type, unit, meaning) for the plotting
/// scripts and the README; a test keeps the two equal. Bump `currentSchemaVersion` there and
/// here whenever a column is added, removed or changes meaning.
public enum ResultColumn: String, CaseIterable, Sendable, Codable {
    case schemaVersion = "schema_version"
    case kind
    case variant
    case model
    case batch
    case heads
    case keyValueHeads = "kv_heads"
    case seqLenQ = "seq_len_q"
    case seqLenKV = "seq_len_kv"
    case keyLengths = "key_lengths"
    case headDim = "head_dim"
    case window
    case blockQ = "block_q"
    case blockKV = "block_kv"
    case blockAuto = "block_auto"
    case causal
    case threads
    case blasCoreRequested = "blas_core_requested"
    case naiveStrategy = "naive_strategy"
    case warmup
    case minimumRepetitions = "min_repetitions"
    case minimumTime = "min_time_s"
    case repetitions
    case wallTimeMedian = "wall_time_median_s"
    case wallTimeMin = "wall_time_min_s"
    case wallTimeP90 = "wall_time_p90_s"
    case wallTimeMax = "wall_time_max_s"
    case wallTimeMean = "wall_time_mean_s"
    case wallTimeIQR = "wall_time_iqr_s"
    case wallTimeRelativeIQR = "wall_time_iqr_over_median"
    case noisy
    case gflops
    case fmaPeakGflops = "fma_peak_gflops"
    case sgemmPeakGflops = "sgemm_peak_gflops"
    case gemmRooflineGflops = "gemm_roofline_gflops"
    case peakEfficiency = "peak_efficiency"
    case sgemmEfficiency = "sgemm_efficiency"
    case gemmRooflineEfficiency = "gemm_roofline_efficiency"
    case keyValueBytes = "kv_bytes"
    case keyValueReadRate = "kv_read_gbps"
    case memoryReadRate = "memory_read_gbps"
    case bandwidthEfficiency = "bandwidth_efficiency"
    case peakMemory = "peak_memory_bytes"
    case workspace = "workspace_bytes"
    case memoryBudget = "memory_budget_bytes"
    case timeBudget = "time_budget_s"
    case maxSeqLen = "max_seq_len"
    case maxSeqLenBound = "max_seq_len_bound"
    case maxSeqLenResolution = "max_seq_len_resolution"
    case maxAbsError = "max_abs_error"
    case errorRowsChecked = "error_rows_checked"
    case status
    case message
    case wallTimes = "wall_times_s"
    case processMedians = "process_medians_s"
    case attnbenchVersion = "attnbench_version"
    case gitCommit = "git_commit"
    case dateUTC = "date_utc"
    case hostname
    case cpuModel = "cpu_model"
    case cpuCores = "cpu_cores"
    case cpuVectorBits = "cpu_vector_bits"
    case openblasVersion = "openblas_version"
    case openblasCore = "openblas_core"
    case openblasConfig = "openblas_config"
    case openblasThreads = "openblas_threads"
    case openblasEnvironment = "openblas_env"
    case seed

    public static let currentSchemaVersion = "2"

    /// Columns that identify a configuration: rows with equal values here measure the same thing.
    public static let configurationKey: [ResultColumn] = [
        .kind, .variant, .model, .batch, .heads, .keyValueHeads, .seqLenQ, .seqLenKV, .keyLengths, .headDim, .window,
        .blockQ, .blockKV, .causal, .threads, .blasCoreRequested, .naiveStrategy, .memoryBudget,
    ]

    /// Columns that describe the machine and BLAS a row was measured on.
    public static let machineKey: [ResultColumn] = [.cpuModel, .cpuCores, .openblasCore]
}

/// One CSV row: values by column, empty when not applicable.
public struct ResultRow: Sendable, Equatable {
    public var values: [ResultColumn: String] = [:]

    public init() { values[.schemaVersion] = ResultColumn.currentSchemaVersion }

    public init(values: [ResultColumn: String]) { self.values = values }

    public subscript(_ column: ResultColumn) -> String {
        get { values[column] ?? "" }
        set { values[column] = newValue }
    }

    public func double(_ column: ResultColumn) -> Double? { Double(self[column]) }
    public func integer(_ column: ResultColumn) -> Int? { Int(self[column]) }

    /// The configuration identity used to resume a sweep and to compare runs.
    public var configurationKey: String {
        ResultColumn.configurationKey.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: ";")
    }

    public var rawWallTimesSeconds: [Double] {
        self[.wallTimes].split(separator: " ").compactMap { Double($0) }
    }

    /// The median of each worker process that measured the row.
    public var processMediansSeconds: [Double] {
        self[.processMedians].split(separator: " ").compactMap { Double($0) }
    }
}

/// Formats numbers for the CSV: times with 6 significant digits, ratios with 4.
public enum CSVNumber {
    public static func seconds(_ x: Double) -> String { String(format: "%.6g", x) }
    public static func ratio(_ x: Double) -> String { String(format: "%.4g", x) }
    public static func error(_ x: Double) -> String { String(format: "%.3g", x) }
}
