import Foundation

/// Two-sided Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples, as
/// google/benchmark's compare.py and asv use for timings: no normality assumption.
/// Normal approximation with tie correction and continuity correction; reliable from about
/// 5 samples per side (google/benchmark asks for 9).
public enum MannWhitneyU {
    public static let minimumSamples = 3

    /// The p-value of the hypothesis that both samples come from one distribution, or nil when
    /// a side has fewer than `minimumSamples` values.
    public static func pValue(_ x: [Double], _ y: [Double]) -> Double? {
        let n1 = x.count, n2 = y.count
        guard n1 >= minimumSamples, n2 >= minimumSamples else { return nil }
        let all = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        let n = all.count
        var ranks = [Double](repeating: 0, count: n)
        var tieTerm = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && all[j + 1].0 == all[i].0 { j += 1 }
            let average = Double(i + j + 2) / 2 // ranks are 1-based
            for k in i...j { ranks[k] = average }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        var rankSumX = 0.0
        for (k, item) in all.enumerated() where item.1 == 0 { rankSumX += ranks[k] }
        let u = rankSumX - Double(n1 * (n1 + 1)) / 2
        let mean = Double(n1 * n2) / 2
        let variance = Double(n1 * n2) / 12 * (Double(n + 1) - tieTerm / Double(n * (n - 1)))
        guard variance > 0 else { return 1 }
        let z = max(0, abs(u - mean) - 0.5) / variance.squareRoot()
        return erfc(z / 2.0.squareRoot())
    }
}
