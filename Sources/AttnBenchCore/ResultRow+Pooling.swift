import AttentionKernels
import Foundation

/// Rows of one configuration measured in separate runs (worker processes started at different
/// times, e.g. two builds interleaved process by process) pooled into one row, as if one sweep
/// had measured it with `--processes` equal to the number of rows: repetitions pooled and their
/// statistics recomputed, each run's median kept in `process_medians_s`, the ceilings' best and
/// the roofline's median kept, every figure derived from the pooled median.
extension ResultRow {
    public static func pooling(_ rows: [ResultRow]) -> ResultRow? {
        guard var pooled = rows.first else { return nil }
        guard rows.count > 1 else { return pooled }
        if let bad = rows.first(where: { $0.status != .ok }) { return bad }
        let samples = rows.flatMap(\.rawWallTimesSeconds)
        guard let stats = TimingStatistics(samplesSeconds: samples), let problem = pooled.problem else { return pooled }
        let processMedians = rows.flatMap {
            $0.processMediansSeconds.isEmpty ? [$0.double(.wallTimeMedian) ?? 0] : $0.processMediansSeconds
        }
        pooled.recordTimes(samples, statistics: stats, processMedians: processMedians)
        func column(_ c: ResultColumn) -> [Double] { rows.compactMap { $0.double(c) } }
        pooled.recordRates(
            gigaflopsPerSecond: AttentionFLOPs.gigaflopsPerSecond(problem, seconds: stats.medianSeconds),
            fmaPeak: column(.fmaPeakGflops).max(), sgemmPeak: column(.sgemmPeakGflops).max(),
            gemmRoofline: TimingStatistics.median(column(.gemmRooflineGflops)),
            keyValueBytes: AttentionTraffic.keyValueBytes(problem), medianSeconds: stats.medianSeconds,
            memoryRead: TimingStatistics.median(column(.memoryReadRate)))
        if let peak = rows.compactMap({ $0.integer(.peakMemory) }).max() { pooled[value: .peakMemory] = .integer(peak) }
        if let error = column(.maxAbsError).max() { pooled[value: .maxAbsError] = .number(error, .error) }
        let layerSamples = rows.flatMap { $0.numbers(.layerGemmTimes) }
        if !layerSamples.isEmpty {
            let head = TimingStatistics.median(column(.outputHeadTime))
            pooled.recordLayer(
                samples: layerSamples, outputHeadSeconds: head,
                layers: head == nil ? nil : ModelPreset.named(pooled[.model])?.layer?.layers)
        }
        return pooled
    }

    /// The attention problem a timed row measured, from its configuration columns; nil when
    /// they do not describe one (a maxlen row, a row of another tool).
    public var problem: AttentionProblem? {
        guard let batch = integer(.batch), let heads = integer(.heads), let queryLength = integer(.seqLenQ),
            let keyLength = integer(.seqLenKV), let headDimension = integer(.headDim)
        else { return nil }
        let lengths = self[.keyLengths].isEmpty ? nil : numbers(.keyLengths).map { Int($0) }
        let type = ElementType(rawValue: self[.elementType]) ?? .f32
        return try? AttentionProblem(
            batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength, headDimension: headDimension,
            causal: self[.causal] == "true", validKeyLengths: lengths, keyValueHeads: integer(.keyValueHeads),
            window: integer(.window), elementType: type,
            keyValueElementType: ElementType(rawValue: self[.keyValueElementType]) ?? type)
    }
}
