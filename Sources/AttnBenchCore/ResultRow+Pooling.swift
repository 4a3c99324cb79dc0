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
        guard let stats = TimingStatistics(samplesSeconds: samples), let firstMedian = pooled.double(.wallTimeMedian),
              firstMedian > 0 else { return pooled }
        pooled[.repetitions] = String(samples.count)
        pooled[.wallTimeMedian] = CSVNumber.seconds(stats.medianSeconds)
        pooled[.wallTimeMin] = CSVNumber.seconds(stats.minimumSeconds)
        pooled[.wallTimeP90] = CSVNumber.seconds(stats.p90Seconds)
        pooled[.wallTimeMax] = CSVNumber.seconds(stats.maximumSeconds)
        pooled[.wallTimeMean] = CSVNumber.seconds(stats.meanSeconds)
        pooled[.wallTimeIQR] = CSVNumber.seconds(stats.interquartileRangeSeconds)
        pooled[.wallTimeRelativeIQR] = CSVNumber.ratio(stats.relativeInterquartileRange)
        pooled[.noisy] = String(stats.isNoisy)
        pooled[.wallTimes] = samples.map(CSVNumber.seconds).joined(separator: " ")
        pooled[.processMedians] = rows.flatMap { $0.processMediansSeconds.isEmpty ? [$0.double(.wallTimeMedian) ?? 0] : $0.processMediansSeconds }
            .map(CSVNumber.seconds).joined(separator: " ")
        // Work per call is the same in every row: FLOPs = GFLOP/s × median time.
        let gigaflop = (pooled.double(.gflops) ?? 0) * firstMedian
        let gflops = gigaflop / stats.medianSeconds
        pooled[.gflops] = CSVNumber.ratio(gflops)
        func column(_ c: ResultColumn) -> [Double] { rows.compactMap { $0.double(c) } }
        for (ceiling, efficiency, value) in [(ResultColumn.fmaPeakGflops, ResultColumn.peakEfficiency, column(.fmaPeakGflops).max()),
                                             (.sgemmPeakGflops, .sgemmEfficiency, column(.sgemmPeakGflops).max()),
                                             (.gemmRooflineGflops, .gemmRooflineEfficiency, TimingStatistics.median(column(.gemmRooflineGflops)))] {
            if let value, value > 0 {
                pooled[ceiling] = CSVNumber.ratio(value)
                pooled[efficiency] = CSVNumber.ratio(gflops / value)
            }
        }
        if let bytes = pooled.double(.keyValueBytes) {
            let rate = bytes / stats.medianSeconds / 1e9
            pooled[.keyValueReadRate] = CSVNumber.ratio(rate)
            if let bandwidth = TimingStatistics.median(column(.memoryReadRate)), bandwidth > 0 {
                pooled[.memoryReadRate] = CSVNumber.ratio(bandwidth)
                pooled[.bandwidthEfficiency] = CSVNumber.ratio(rate / bandwidth)
            }
        }
        if let peak = rows.compactMap({ $0.integer(.peakMemory) }).max() { pooled[.peakMemory] = String(peak) }
        if let error = column(.maxAbsError).max() { pooled[.maxAbsError] = CSVNumber.error(error) }
        return pooled
    }
}
