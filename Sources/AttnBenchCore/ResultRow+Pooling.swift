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
            firstMedian > 0
        else { return pooled }
        let processMedians = rows.flatMap {
            $0.processMediansSeconds.isEmpty ? [$0.double(.wallTimeMedian) ?? 0] : $0.processMediansSeconds
        }
        pooled.recordTimes(samples, statistics: stats, processMedians: processMedians)
        // Work per call is the same in every row: FLOPs = GFLOP/s × median time.
        let gigaflop = (pooled.double(.gflops) ?? 0) * firstMedian
        func column(_ c: ResultColumn) -> [Double] { rows.compactMap { $0.double(c) } }
        pooled.recordRates(
            gigaflopsPerSecond: gigaflop / stats.medianSeconds, fmaPeak: column(.fmaPeakGflops).max(),
            sgemmPeak: column(.sgemmPeakGflops).max(),
            gemmRoofline: TimingStatistics.median(column(.gemmRooflineGflops)),
            keyValueBytes: pooled.double(.keyValueBytes) ?? 0, medianSeconds: stats.medianSeconds,
            memoryRead: TimingStatistics.median(column(.memoryReadRate)))
        if let peak = rows.compactMap({ $0.integer(.peakMemory) }).max() { pooled[.peakMemory] = String(peak) }
        if let error = column(.maxAbsError).max() { pooled[.maxAbsError] = CSVNumber.error(error) }
        return pooled
    }
}
