import AttentionKernels
import AttnBenchCore
import XCTest

/// The layer around the attention: its matrices, FLOPs and weights counted by hand for the
/// presets, the memory estimate that carries them, the grid's refusals, the measured columns and
/// the comparison that gates on them.
final class LayerTests: XCTestCase {
    func llamaPoint(queryLength: Int, keyLength: Int, layer: Bool = true) throws -> SweepConfiguration {
        let llama = try XCTUnwrap(ModelPreset.named("llama-3-8b"))
        let grid = SweepGrid(
            variants: [.fused], sequenceLengths: [keyLength], queryLengths: [.fixed(queryLength)], models: [llama],
            threads: [1], measuresLayer: layer)
        return try XCTUnwrap(grid.configurations().first)
    }

    /// Llama 3 8B (hidden 4096, 32 heads and 8 K/V heads of 128, gated MLP of 14336), by hand:
    /// Q and O 4096·4096 each, K and V 4096·1024 each, gate, up and down 4096·14336 each.
    func testLlamaLayerCountedByHand() throws {
        let point = try llamaPoint(queryLength: 2048, keyLength: 2048)
        let work = try XCTUnwrap(point.layerWork)
        XCTAssertEqual(work.projections.map(\.name), ["q", "k", "v", "o", "gate", "up", "down"])
        let weights = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336
        XCTAssertEqual(weights, 218_103_808)
        XCTAssertEqual(work.weightBytes, 4 * weights)
        XCTAssertEqual(work.tokens, 2048)
        XCTAssertEqual(work.flops, 2 * 2048 * Double(weights))
        XCTAssertNil(work.outputHead, "a prefill row has no output head")
        let decode = try XCTUnwrap(try llamaPoint(queryLength: 1, keyLength: 2048).layerWork)
        XCTAssertEqual(decode.outputHead?.weightCount, 4096 * 128_256)
        XCTAssertEqual(decode.layers, 32)
    }

    /// BERT's MLP is plain (up, down); Gemma 2's Q projection is hidden → heads·head_dim (3584 → 4096).
    func testPlainMLPAndWideQueryProjection() throws {
        let bert = try XCTUnwrap(ModelPreset.named("bert-base")?.layer)
        let projections = bert.projections(heads: 12, keyValueHeads: 12, headDimension: 64)
        XCTAssertEqual(projections.map(\.name), ["q", "k", "v", "o", "up", "down"])
        XCTAssertEqual(projections.reduce(0) { $0 + $1.weightCount }, 4 * 768 * 768 + 2 * 768 * 3072)
        let gemma = try XCTUnwrap(ModelPreset.named("gemma-2-9b")?.layer)
        let q = try XCTUnwrap(gemma.projections(heads: 16, keyValueHeads: 8, headDimension: 256).first)
        XCTAssertEqual([q.inputs, q.outputs], [3584, 4096])
    }

    /// The weights and activations are in the estimate that decides `oom` before a row runs.
    func testWeightsAreCountedInTheMemoryEstimate() throws {
        for queryLength in [2048, 1] {
            let with = try llamaPoint(queryLength: queryLength, keyLength: 2048)
            let without = try llamaPoint(queryLength: queryLength, keyLength: 2048, layer: false)
            let work = try XCTUnwrap(with.layerWork)
            let difference = try XCTUnwrap(with.estimatedBytes) - XCTUnwrap(without.estimatedBytes)
            XCTAssertEqual(difference, work.bytes)
            let head = work.outputHead.map { 4 * $0.weightCount } ?? 0
            XCTAssertGreaterThanOrEqual(difference, work.weightBytes + head)
            // Activations: input, widest output and the gated MLP's second output, per token.
            XCTAssertEqual(
                LayerProducts.bytes(work.projections, tokens: work.tokens),
                work.weightBytes + 4 * work.tokens * (4096 + 14336 + 14336))
        }
    }

    func testLayerNeedsAModelWithLayerFields() throws {
        var grid = SweepGrid(sequenceLengths: [64], threads: [1], measuresLayer: true)
        XCTAssertThrowsError(try grid.configurations()) { error in
            XCTAssertEqual((error as? InputError)?.source, "--layer")
        }
        grid.models = [try XCTUnwrap(ModelPreset.named("whisper-small-decoder"))]
        XCTAssertThrowsError(try grid.configurations()) { error in
            XCTAssertEqual((error as? InputError)?.source, "--layer")
            XCTAssertTrue("\(error)".contains("whisper-small-decoder"), "\(error)")
        }
        grid.models = [try XCTUnwrap(ModelPreset.named("bert-base"))]
        XCTAssertTrue(try grid.configurations().allSatisfy { $0.layer != nil })
    }

    /// The products run and are timed; the row's share and token time follow from the medians.
    func testLayerProductsRunAndTheRowDerivesItsColumns() throws {
        let projections = [
            ModelLayer.Projection(name: "q", inputs: 64, outputs: 32),
            ModelLayer.Projection(name: "o", inputs: 32, outputs: 64),
        ]
        for tokens in [1, 5] {
            let products = LayerProducts(projections: projections, tokens: tokens, threads: 1, seed: 1)
            let times = products.measure(policy: RepetitionPolicy(warmupRepetitions: 1, minimumRepetitions: 3))
            XCTAssertGreaterThanOrEqual(times.count, 3)
            XCTAssertTrue(times.allSatisfy { $0 > 0 })
        }
        var row = ResultRow()
        row[value: .wallTimeMedian] = .number(1, .seconds)
        row[value: .layerGemmFlops] = .integer(6_000_000_000)
        row[value: .sgemmPeakGflops] = .number(4, .ratio)
        row.recordLayer(samples: [2, 3, 4], outputHeadSeconds: 0.5, layers: 10)
        XCTAssertEqual(row.double(.layerGemmTime), 3)
        XCTAssertEqual(row.double(.layerGemmGflops), 2)
        XCTAssertEqual(row.double(.layerSgemmEfficiency), 0.5)
        XCTAssertEqual(row.double(.attentionShare), 0.25)
        XCTAssertEqual(row.double(.tokenTime), 10 * 4 + 0.5)
    }

    /// `--metric layer` gates on the layer's products; the attention's time is then ignored.
    func testCompareGatesOnTheLayerOnlyWhenAsked() {
        func row(attention: Double, layer: Double, seed: UInt64) -> ResultRow {
            var r = ResultComparisonTests.row(samples: ResultComparisonTests.samples(attention, seed: seed))
            let samples = ResultComparisonTests.samples(layer, seed: seed + 100)
            r[.layerGemmTimes] = samples.map { "\($0)" }.joined(separator: " ")
            r[.layerGemmTime] = "\(TimingStatistics(samplesSeconds: samples)!.medianSeconds)"
            return r
        }
        let base = [row(attention: 1, layer: 1, seed: 1)]
        let slowerLayer = [row(attention: 1, layer: 1.3, seed: 2)]
        XCTAssertEqual(ResultComparison(baseline: base, current: slowerLayer).regressions, 0)
        var options = ResultComparison.Options()
        options.metric = .layer
        XCTAssertEqual(ResultComparison(baseline: base, current: slowerLayer, options: options).regressions, 1)
        let slowerAttention = [row(attention: 1.3, layer: 1, seed: 3)]
        XCTAssertEqual(ResultComparison(baseline: base, current: slowerAttention, options: options).regressions, 0)
        XCTAssertEqual(ResultComparison(baseline: base, current: slowerAttention).regressions, 1)
    }
}
