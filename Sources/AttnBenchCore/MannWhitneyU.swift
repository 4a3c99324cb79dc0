import Foundation

/// Two-sided Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples, as
/// google/benchmark's compare.py and asv use for timings: no normality assumption.
///
/// Small samples (n₁ + n₂ ≤ `exactLimit`) use the exact permutation distribution of the rank
/// sum, ties included (mid-ranks, counted by dynamic programming over the pooled ranks), so
/// the p-value is what the samples can really support: with 3 against 3 the smallest two-sided
/// p is 0.1, and no difference, however large, is significant at 0.05. Larger samples use the
/// normal approximation with tie and continuity corrections.
public enum MannWhitneyU {
    /// Fewer values than this on a side: no test.
    public static let minimumSamples = 2
    /// Pooled sizes up to this use the exact distribution.
    public static let exactLimit = 60

    /// The p-value of the hypothesis that both samples come from one distribution, or nil when
    /// a side has fewer than `minimumSamples` values.
    public static func pValue(_ x: [Double], _ y: [Double]) -> Double? {
        let n1 = x.count
        let n2 = y.count
        guard n1 >= minimumSamples, n2 >= minimumSamples else { return nil }
        let (ranks, tieTerm) = midRanks(x + y)
        let rankSumX = ranks.prefix(n1).reduce(0, +)
        if n1 + n2 <= exactLimit { return exactPValue(ranks: ranks, sampleSize: n1, observedRankSum: rankSumX) }
        let n = n1 + n2
        let u = rankSumX - Double(n1 * (n1 + 1)) / 2
        let mean = Double(n1 * n2) / 2
        let variance = Double(n1 * n2) / 12 * (Double(n + 1) - tieTerm / Double(n * (n - 1)))
        guard variance > 0 else { return 1 }
        let z = max(0, abs(u - mean) - 0.5) / variance.squareRoot()
        return erfc(z / 2.0.squareRoot())
    }

    /// The smallest two-sided p-value any data can give with these sample sizes (no ties):
    /// both extreme orderings out of C(n₁+n₂, n₁). A difference can be significant at α only
    /// when this is below α.
    public static func smallestPValue(_ n1: Int, _ n2: Int) -> Double {
        guard n1 >= minimumSamples, n2 >= minimumSamples else { return 1 }
        if n1 + n2 > exactLimit { return 0 }
        return min(1, 2 / binomial(n1 + n2, n1))
    }

    /// Mid-ranks (1-based, ties averaged) of the values in their given order, and Σ(t³ − t)
    /// over tie groups.
    static func midRanks(_ values: [Double]) -> (ranks: [Double], tieTerm: Double) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieTerm = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = average }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        return (ranks, tieTerm)
    }

    /// P(|W − E W| ≥ |w − E W|) for W the sum of `sampleSize` ranks drawn without replacement
    /// from `ranks`. Doubled ranks are integers even with ties; counts[k][s] is the number of
    /// k-subsets of the ranks seen so far with doubled sum s.
    static func exactPValue(ranks: [Double], sampleSize k: Int, observedRankSum: Double) -> Double {
        let doubled = ranks.map { Int(($0 * 2).rounded()) }
        let maxSum = doubled.sorted(by: >).prefix(k).reduce(0, +)
        var counts = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: k + 1)
        counts[0][0] = 1
        for r in doubled {
            for size in stride(from: k, through: 1, by: -1) {
                let previous = counts[size - 1]
                for s in stride(from: maxSum, through: r, by: -1) where previous[s - r] != 0 {
                    counts[size][s] += previous[s - r]
                }
            }
        }
        let total = counts[k].reduce(0, +)
        let mean = Double(k) * Double(ranks.count + 1)  // doubled: 2 · k(N+1)/2
        let observed = abs(observedRankSum * 2 - mean)
        var extreme = 0.0
        for (s, count) in counts[k].enumerated() where count != 0 && abs(Double(s) - mean) >= observed - 1e-9 {
            extreme += count
        }
        return min(1, extreme / total)
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        var result = 1.0
        for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
        return result
    }
}
