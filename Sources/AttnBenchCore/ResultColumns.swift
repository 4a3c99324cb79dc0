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
    case elementType = "dtype"
    case keyValueElementType = "kv_dtype"
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
    case bfloat16DotPeakGflops = "bf16_dot_peak_gflops"
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
    case layerDType = "layer_dtype"
    case layerGemmTime = "layer_gemm_time_s"
    case layerGemmTimes = "layer_gemm_times_s"
    case layerGemmFlops = "layer_gemm_flops"
    case layerGemmGflops = "layer_gemm_gflops"
    case layerSgemmEfficiency = "layer_sgemm_efficiency"
    case layerWeightBytes = "layer_weight_bytes"
    case attentionShare = "attention_share"
    case outputHeadTime = "output_head_time_s"
    case tokenTime = "token_time_s"
    case attnbenchVersion = "attnbench_version"
    case gitCommit = "git_commit"
    case dateUTC = "date_utc"
    case hostname
    case cpuModel = "cpu_model"
    case cpuCores = "cpu_cores"
    case cpuVectorBits = "cpu_vector_bits"
    case kernelTile = "kernel_tile"
    case openblasVersion = "openblas_version"
    case openblasCore = "openblas_core"
    case openblasConfig = "openblas_config"
    case openblasThreads = "openblas_threads"
    case openblasEnvironment = "openblas_env"
    case seed

    public static let currentSchemaVersion = "4"

    /// Columns that identify a configuration: rows with equal values here measure the same thing.
    public static let configurationKey: [ResultColumn] = [
        .kind, .variant, .model, .batch, .heads, .keyValueHeads, .seqLenQ, .seqLenKV, .keyLengths, .headDim, .window,
        .blockQ, .blockKV, .causal, .elementType, .keyValueElementType, .threads, .blasCoreRequested, .naiveStrategy,
        .memoryBudget, .layerDType,
    ]

    /// Columns that describe the machine and BLAS a row was measured on.
    public static let machineKey: [ResultColumn] = [.cpuModel, .cpuCores, .openblasCore]
}

/// One CSV row: a typed value by column, absent when not applicable. Values stay numbers,
/// booleans and enums' names until the CSV codec writes `csvText`; a row read from a CSV holds
/// the file's text, which the typed readers (`double`, `integer`, `numbers`) parse.
public struct ResultRow: Sendable, Equatable {
    public var cells: [ResultColumn: ResultValue] = [:]

    public init() { cells[.schemaVersion] = .text(ResultColumn.currentSchemaVersion) }

    public init(cells: [ResultColumn: ResultValue]) { self.cells = cells }

    /// The column as the CSV writes it; setting text stores text ("" removes the value).
    public subscript(_ column: ResultColumn) -> String {
        get { cells[column]?.csvText ?? "" }
        set { cells[column] = newValue.isEmpty ? nil : .text(newValue) }
    }

    /// The typed value of a column.
    public subscript(value column: ResultColumn) -> ResultValue? {
        get { cells[column] }
        set { cells[column] = newValue }
    }

    public func double(_ column: ResultColumn) -> Double? { cells[column]?.number }
    public func integer(_ column: ResultColumn) -> Int? { cells[column]?.integer }
    public func numbers(_ column: ResultColumn) -> [Double] { cells[column]?.numbers ?? [] }

    /// Rows are equal when they write the same CSV.
    public static func == (a: ResultRow, b: ResultRow) -> Bool {
        ResultColumn.allCases.allSatisfy { a[$0] == b[$0] }
    }

    /// The configuration identity used to resume a sweep and to compare runs.
    public var configurationKey: String {
        ResultColumn.configurationKey.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: ";")
    }

    public var rawWallTimesSeconds: [Double] { numbers(.wallTimes) }

    /// The median of each worker process that measured the row.
    public var processMediansSeconds: [Double] { numbers(.processMedians) }
}

/// Formats numbers for the CSV: times with 6 significant digits, ratios with 4, errors with 3.
public enum CSVNumber: Sendable, Equatable {
    case seconds, ratio, error

    public func format(_ x: Double) -> String {
        switch self {
        case .seconds: return String(format: "%.6g", x)
        case .ratio: return String(format: "%.4g", x)
        case .error: return String(format: "%.3g", x)
        }
    }

    public static func seconds(_ x: Double) -> String { CSVNumber.seconds.format(x) }
    public static func ratio(_ x: Double) -> String { CSVNumber.ratio.format(x) }
    public static func error(_ x: Double) -> String { CSVNumber.error.format(x) }
}
