import Foundation

/// Compares a baseline sweep with a current one, configuration by configuration.
///
/// Time: a regression needs both a relative change of the median beyond `timeThreshold` and,
/// when both rows carry raw repetition times, a Mann–Whitney U p-value below `alpha`; a change
/// beyond the threshold without statistical support is `noisy`. Without raw samples the
/// threshold alone decides, and the note says so. Peak memory and maximum sequence length are
/// nearly deterministic: their thresholds are separate and tight.
public struct ResultComparison {
    public enum Verdict: String, Sendable, CaseIterable {
        case regression, improvement, unchanged, noisy, new, missing, refused
    }

    public struct Options: Sendable {
        public var timeThreshold = 0.10
        public var alpha = 0.05
        /// Relative change in peak memory that counts, when also above `memoryAbsoluteBytes`.
        public var memoryThreshold = 0.05
        public var memoryAbsoluteBytes = 256 * 1024
        /// Relative change in max_seq_len that counts, when also beyond the search resolution.
        public var lengthThreshold = 0.05
        public var allowDifferentMachine = false
        /// What a timed row's time is: the attention call (the default) or, with `.layer`, the
        /// layer's other matrix products (`sweep --layer`; rows without them are left out).
        public var metric: Metric = .attention
        public init() {}
    }

    /// The time a comparison gates on.
    public enum Metric: String, Sendable, CaseIterable {
        case attention
        case layer
    }

    /// A timed row as the metric sees it: for `.layer`, its layer products' median and samples
    /// in place of the attention's (nil when the row has none); other rows as they are.
    static func timed(_ row: ResultRow, as metric: Metric) -> ResultRow? {
        guard metric == .layer, row.kind?.isTimed == true else { return row }
        guard row.status != .ok || row.double(.layerGemmTime) != nil else { return nil }
        var result = row
        result[.wallTimeMedian] = row[.layerGemmTime]
        result[.wallTimes] = row[.layerGemmTimes]
        result[.processMedians] = ""
        return result
    }

    public struct Entry: Sendable {
        public var key: String
        public var label: String
        public var verdict: Verdict
        public var baselineMedianSeconds: Double?
        public var currentMedianSeconds: Double?
        /// current / baseline median.
        public var timeRatio: Double?
        public var pValue: Double?
        public var peakMemoryChangeBytes: Int?
        public var maxSeqLenChange: Int?
        public var notes: [String]
        /// The machines of the two rows ("cpu_model, N cores, OpenBLAS core").
        public var baselineMachine = ""
        public var currentMachine = ""
    }

    /// "AMD EPYC 9R14, 2 cores, OpenBLAS Cooperlake".
    public static func machineLabel(_ row: ResultRow) -> String {
        "\(row[.cpuModel]), \(row[.cpuCores]) cores, OpenBLAS \(row[.openblasCore])"
    }

    public var entries: [Entry] = []
    /// Values that make the comparison meaningless (a timed ok row without a usable median).
    public var unusable: [String] = []
    /// Labels of timed rows whose repetition counts cannot reach `alpha` whatever the times
    /// (the exact Mann–Whitney distribution has no p-value that small): such a row can only
    /// come out `noisy` or `unchanged`, never `regression`.
    public var underpowered: [String] = []

    public var regressions: Int { entries.filter { $0.verdict == .regression }.count }
    public var comparableCount: Int { entries.filter { ![.new, .missing, .refused].contains($0.verdict) }.count }

    public init(baseline allBaseline: [ResultRow], current allCurrent: [ResultRow], options: Options = Options()) {
        let baseline = allBaseline.compactMap { Self.timed($0, as: options.metric) }
        let current = allCurrent.compactMap { Self.timed($0, as: options.metric) }
        // Rows match by configuration; when a side holds several machines (a merged CSV), by
        // configuration and machine, so each machine is compared with itself.
        func machines(_ rows: [ResultRow]) -> Set<String> { Set(rows.map(Self.machineLabel)) }
        let perMachine = machines(baseline).count > 1 || machines(current).count > 1
        func key(_ row: ResultRow) -> String {
            perMachine ? row.configurationKey + "|" + Self.machineLabel(row) : row.configurationKey
        }
        var baselineByKey: [String: ResultRow] = [:]
        var order: [String] = []
        for row in baseline {
            let key = key(row)
            if baselineByKey[key] == nil { order.append(key) }
            baselineByKey[key] = row  // a later (resumed) row wins
        }
        var currentByKey: [String: ResultRow] = [:]
        for row in current {
            let key = key(row)
            if currentByKey[key] == nil && baselineByKey[key] == nil { order.append(key) }
            currentByKey[key] = row
        }
        for key in order {
            let base = baselineByKey[key]
            let now = currentByKey[key]
            let row = now ?? base!
            let label = Self.label(row) + (perMachine ? " @ \(Self.machineLabel(row))" : "")
            guard let base else {
                entries.append(Entry(key: key, label: label, verdict: .new, notes: ["only in the current CSV"]))
                continue
            }
            guard let now else {
                entries.append(Entry(key: key, label: label, verdict: .missing, notes: ["only in the baseline CSV"]))
                continue
            }
            let differences = ResultColumn.machineKey.filter { base[$0] != now[$0] }
                .map { "\($0.rawValue) '\(base[$0])' → '\(now[$0])'" }
            if !differences.isEmpty && !options.allowDifferentMachine {
                entries.append(
                    Entry(
                        key: key, label: label, verdict: .refused,
                        notes: [
                            "measured on a different machine or BLAS core: " + differences.joined(separator: ", ")
                                + " (pass --allow-different-machine to compare anyway)"
                        ]))
                continue
            }
            if base.kind?.isTimed == true && base.status == .ok && now.status == .ok {
                for (name, row) in [("baseline", base), ("current", now)] {
                    let median = row.double(.wallTimeMedian)
                    if median == nil || !median!.isFinite || median! <= 0 {
                        unusable.append(
                            "\(name) row \(label): wall_time_median_s '\(row[.wallTimeMedian])' is not a positive "
                                + "number"
                        )
                    }
                }
            }
            var entry = Self.compare(
                base, now, key: key, label: label, options: options,
                machineNote: differences.isEmpty ? nil : "different machine: " + differences.joined(separator: ", "))
            entry.baselineMachine = Self.machineLabel(base)
            entry.currentMachine = Self.machineLabel(now)
            if base.kind?.isTimed == true && base.status == .ok && now.status == .ok {
                let (n1, n2) = (base.rawWallTimesSeconds.count, now.rawWallTimesSeconds.count)
                if n1 > 0 && n2 > 0 && MannWhitneyU.smallestPValue(n1, n2) >= options.alpha {
                    underpowered.append("\(label) (\(n1) vs \(n2) repetitions)")
                }
            }
            entries.append(entry)
        }
    }

    static func compare(
        _ base: ResultRow, _ now: ResultRow, key: String, label: String, options: Options,
        machineNote: String?
    ) -> Entry {
        var entry = Entry(key: key, label: label, verdict: .unchanged, notes: [])
        if let machineNote { entry.notes.append(machineNote) }
        var findings: [Verdict] = []
        if base.status != .ok || now.status != .ok {
            if base.status == .ok {
                entry.notes.append("status \(base[.status]) → \(now[.status]) \(now[.message])")
                entry.verdict = .regression
                return entry
            }
            if now.status == .ok {
                entry.notes.append("status \(base[.status]) → ok")
                entry.verdict = .improvement
                return entry
            }
            entry.notes.append("status \(base[.status]) in both")
            return entry
        }
        // Time.
        if let b = base.double(.wallTimeMedian), let c = now.double(.wallTimeMedian), b > 0 {
            entry.baselineMedianSeconds = b
            entry.currentMedianSeconds = c
            let ratio = c / b
            entry.timeRatio = ratio
            let p = MannWhitneyU.pValue(base.rawWallTimesSeconds, now.rawWallTimesSeconds)
            entry.pValue = p
            // Between-process spread: when each side was measured in several worker processes,
            // a change no larger than the spread of one side's process medians cannot be told
            // from the per-process effects that move every repetition of a process alike.
            let spread = max(
                Self.relativeSpread(base.processMediansSeconds), Self.relativeSpread(now.processMediansSeconds))
            if abs(ratio - 1) > options.timeThreshold && abs(log(ratio)) <= log(1 + spread) {
                findings.append(.noisy)
                entry.notes.append(
                    String(
                        format: "median %+.1f%%, within the %.0f%% spread between its worker processes",
                        (ratio - 1) * 100, spread * 100))
            } else if abs(ratio - 1) > options.timeThreshold {
                let direction: Verdict = ratio > 1 ? .regression : .improvement
                if let p {
                    let (n1, n2) = (base.rawWallTimesSeconds.count, now.rawWallTimesSeconds.count)
                    let smallest = MannWhitneyU.smallestPValue(n1, n2)
                    if p < options.alpha {
                        findings.append(direction)
                    } else if smallest >= options.alpha {
                        findings.append(.noisy)
                        entry.notes.append(
                            String(
                                format:
                                    "median %+.1f%%, but %d vs %d repetitions cannot reach p < %.3g (smallest "
                                    + "possible p = %.3g); re-run with more --repetitions",
                                (ratio - 1) * 100, n1, n2, options.alpha, smallest))
                    } else {
                        findings.append(.noisy)
                        entry.notes.append(
                            String(
                                format: "median %+.1f%% but p = %.3g ≥ α = %.3g", (ratio - 1) * 100, p, options.alpha))
                    }
                } else {
                    findings.append(direction)
                    entry.notes.append("no raw samples (or < \(MannWhitneyU.minimumSamples) per side): threshold only")
                }
            }
        }
        // Peak memory.
        if let b = base.integer(.peakMemory), let c = now.integer(.peakMemory) {
            let change = c - b
            entry.peakMemoryChangeBytes = change
            if abs(change) > options.memoryAbsoluteBytes
                && Double(abs(change)) > options.memoryThreshold * Double(max(b, 1))
            {
                findings.append(change > 0 ? .regression : .improvement)
                entry.notes.append("peak memory \(b) → \(c) bytes")
            }
        }
        // Maximum sequence length.
        if let b = base.integer(.maxSeqLen), let c = now.integer(.maxSeqLen) {
            let change = c - b
            entry.maxSeqLenChange = change
            let resolution = max(base.integer(.maxSeqLenResolution) ?? 0, now.integer(.maxSeqLenResolution) ?? 0)
            if abs(change) > resolution && Double(abs(change)) > options.lengthThreshold * Double(max(b, 1)) {
                findings.append(change < 0 ? .regression : .improvement)
                entry.notes.append("max_seq_len \(b) → \(c) (\(now[.maxSeqLenBound])-bound)")
            }
        }
        if findings.contains(.regression) {
            entry.verdict = .regression
        } else if findings.contains(.improvement) {
            entry.verdict = .improvement
        } else if findings.contains(.noisy) {
            entry.verdict = .noisy
        }
        return entry
    }

    /// max/min − 1 over a row's process medians; 0 with fewer than two.
    static func relativeSpread(_ medians: [Double]) -> Double {
        guard medians.count >= 2, let low = medians.min(), let high = medians.max(), low > 0 else { return 0 }
        return high / low - 1
    }

    public static func label(_ row: ResultRow) -> String {
        var parts = [row[.variant]]
        if row.kind == .maxlen { parts.append("maxlen budget=\(row[.memoryBudget])") }
        parts.append("B\(row[.batch]) H\(row[.heads]) d\(row[.headDim])")
        if !row[.seqLenKV].isEmpty { parts.append("q\(row[.seqLenQ]) kv\(row[.seqLenKV])") }
        if !row[.blockQ].isEmpty { parts.append("blk \(row[.blockQ])x\(row[.blockKV])") }
        if row[.causal] == "true" { parts.append("causal") }
        let tensors = row[.elementType].isEmpty ? "f32" : row[.elementType]
        let cache = row[.keyValueElementType].isEmpty ? tensors : row[.keyValueElementType]
        if tensors != "f32" { parts.append(tensors) }
        if cache != tensors { parts.append("kv \(cache)") }
        parts.append("t\(row[.threads])")
        if row[.blasCoreRequested] != "env" && !row[.blasCoreRequested].isEmpty {
            parts.append(row[.blasCoreRequested])
        }
        return parts.joined(separator: " ")
    }
}

/// Renders a comparison as text, GitHub markdown or CSV.
public enum ComparisonReport {
    public enum Format: String, CaseIterable, Sendable { case text, markdown, csv }

    public static func render(_ comparison: ResultComparison, format: Format, options: ResultComparison.Options)
        -> String
    {
        let counts = ResultComparison.Verdict.allCases.map { verdict in
            (verdict, comparison.entries.filter { $0.verdict == verdict }.count)
        }.filter { $0.1 > 0 }
        let summary = counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let rule = String(
            format:
                "time: median change > %.0f%%, beyond the spread between worker processes, and Mann–Whitney U p < "
                + "%.3g; memory: > %.0f%% and > %d KiB; max_seq_len: > %.0f%% and beyond the search resolution",
            options.timeThreshold * 100, options.alpha, options.memoryThreshold * 100,
            options.memoryAbsoluteBytes / 1024, options.lengthThreshold * 100)
        func seconds(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "" }
        func ratio(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "" }
        func p(_ x: Double?) -> String { x.map { String(format: "%.3g", $0) } ?? "" }
        func int(_ x: Int?) -> String { x.map { $0 > 0 ? "+\($0)" : "\($0)" } ?? "" }
        // Per machine pair: how many rows and the geometric mean of current / baseline time.
        var pairs: [String: [Double]] = [:]
        var pairOrder: [String] = []
        for e in comparison.entries where !e.baselineMachine.isEmpty {
            let pair =
                e.baselineMachine == e.currentMachine ? e.currentMachine : "\(e.baselineMachine) → \(e.currentMachine)"
            if pairs[pair] == nil {
                pairOrder.append(pair)
                pairs[pair] = []
            }
            if let r = e.timeRatio, r > 0 { pairs[pair]!.append(r) }
        }
        func geometricMean(_ values: [Double]) -> String {
            values.isEmpty
                ? "" : String(format: "%.3f", exp(values.map { log($0) }.reduce(0, +) / Double(values.count)))
        }
        let showMachines =
            pairOrder.count > 1
            || comparison.entries.contains { !$0.baselineMachine.isEmpty && $0.baselineMachine != $0.currentMachine }
        let underpowered =
            comparison.underpowered.isEmpty
            ? []
            : [
                String(
                    format:
                        "%d row(s) cannot reach p < %.3g with their repetition counts (exact Mann–Whitney), so a "
                        + "slowdown there is never called a regression: ",
                    comparison.underpowered.count, options.alpha) + comparison.underpowered.joined(separator: "; ")
            ]
        switch format {
        case .csv:
            var lines = [
                "configuration,verdict,baseline_median_s,current_median_s,time_ratio,p_value,"
                    + "peak_memory_change_bytes,max_seq_len_change,notes"
            ]
            for e in comparison.entries {
                lines.append(
                    [
                        e.label, e.verdict.rawValue, seconds(e.baselineMedianSeconds), seconds(e.currentMedianSeconds),
                        ratio(e.timeRatio), p(e.pValue), int(e.peakMemoryChangeBytes), int(e.maxSeqLenChange),
                        e.notes.joined(separator: "; "),
                    ].map(CSVCodec.escape).joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .markdown:
            let icon: [ResultComparison.Verdict: String] = [
                .regression: "🔴", .improvement: "🟢", .unchanged: "⚪", .noisy: "🟡",
                .new: "🆕", .missing: "❔", .refused: "⛔",
            ]
            var lines = [
                "### attnbench compare", "",
                "**\(comparison.regressions > 0 ? "Regression" : "No regression")** — \(summary).", "",
                "_\(rule)._", "",
                "| configuration | verdict | baseline median (s) | current median (s) | ratio | p | Δ peak memory (B) "
                    + "| Δ max_seq_len | notes |",
                "|---|---|---:|---:|---:|---:|---:|---:|---|",
            ]
            let sorted = comparison.entries.sorted { rank($0.verdict) < rank($1.verdict) }
            for e in sorted {
                let cells = [
                    e.label, "\(icon[e.verdict] ?? "") \(e.verdict.rawValue)", seconds(e.baselineMedianSeconds),
                    seconds(e.currentMedianSeconds), ratio(e.timeRatio), p(e.pValue), int(e.peakMemoryChangeBytes),
                    int(e.maxSeqLenChange), e.notes.joined(separator: "; "),
                ]
                lines.append(
                    "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
            }
            if showMachines {
                lines += [
                    "", "#### Per machine", "",
                    "| machine | rows timed | geometric mean time ratio (current / baseline) |", "|---|---:|---:|",
                ]
                for pair in pairOrder {
                    lines.append("| \(pair) | \(pairs[pair]!.count) | \(geometricMean(pairs[pair]!)) |")
                }
            }
            if !underpowered.isEmpty { lines += ["", "⚠️ " + underpowered[0]] }
            return lines.joined(separator: "\n") + "\n"
        case .text:
            var rows = [["configuration", "verdict", "base_s", "cur_s", "ratio", "p", "Δmem_B", "Δmaxlen", "notes"]]
            for e in comparison.entries {
                rows.append([
                    e.label, e.verdict.rawValue, seconds(e.baselineMedianSeconds), seconds(e.currentMedianSeconds),
                    ratio(e.timeRatio), p(e.pValue), int(e.peakMemoryChangeBytes), int(e.maxSeqLenChange),
                    e.notes.joined(separator: "; "),
                ])
            }
            var widths = [Int](repeating: 0, count: 8)
            for row in rows { for i in 0..<8 { widths[i] = max(widths[i], row[i].count) } }
            var lines = rows.map { row in
                (0..<8).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                    separator: "  ") + "  " + row[8]
            }
            lines.append("")
            lines.append("\(comparison.regressions > 0 ? "REGRESSION" : "no regression"): \(summary)")
            lines.append("(\(rule))")
            if showMachines {
                for pair in pairOrder {
                    lines.append(
                        "machine \(pair): \(pairs[pair]!.count) rows timed, geometric mean time ratio "
                            + "\(geometricMean(pairs[pair]!))"
                    )
                }
            }
            lines += underpowered
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func rank(_ v: ResultComparison.Verdict) -> Int {
        [.regression, .refused, .noisy, .improvement, .missing, .new, .unchanged].firstIndex(of: v) ?? 9
    }
}
