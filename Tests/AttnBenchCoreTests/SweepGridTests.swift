import AttentionKernels
import AttnBenchCore
import XCTest

/// The grid expands in its documented order, once per point, and refuses every bad axis with
/// the flag, the value and what is accepted.
final class SweepGridTests: XCTestCase {
    func testOrderDedupeAndDecodeVariant() throws {
        let grid = SweepGrid(
            sequenceLengths: [64, 128], queryLengths: [.sequence, .fixed(1)], causal: .given([false, true]),
            queryBlocks: [.fixed(512), .fixed(256)], keyBlocks: [.fixed(32)], threads: [1])
        let points = try grid.configurations()
        // Causal outside the lengths, lengths outside the variants; decode only at one query row.
        XCTAssertEqual(points.first?.causal, false)
        XCTAssertEqual(points.last?.causal, true)
        let first = points.prefix { !$0.causal }
        XCTAssertEqual(first.map(\.keyLength), first.map(\.keyLength).sorted())
        XCTAssertEqual(Set(points.filter { $0.variant == .decode }.map(\.queryLength)), [1])
        // Query blocks 512 and 256 both clip to the sequence: one point each, not two.
        XCTAssertEqual(Set(points).count, points.count)
        let prefill64 = points.filter { $0.variant == .flash2 && $0.keyLength == 64 && $0.queryLength == 64 }
        XCTAssertEqual(prefill64.map { $0.blocks?.sizes.query }, [64, 64])
        XCTAssertEqual(prefill64.map(\.causal), [false, true])
    }

    func testModelAxesAndExplicitFlags() throws {
        let llama = try XCTUnwrap(ModelPreset.named("llama-3-8b"))
        var grid = SweepGrid(sequenceLengths: [64], models: [llama], threads: [1])
        let fromModel = try grid.configurations()
        XCTAssertTrue(fromModel.allSatisfy { $0.heads == 32 && $0.keyValueHeads == 8 && $0.headDimension == 128 })
        XCTAssertTrue(fromModel.allSatisfy(\.causal))
        grid.heads = .given([16])
        XCTAssertTrue(try grid.configurations().allSatisfy { $0.heads == 16 && $0.keyValueHeads == 8 })
    }

    /// `--dtype model` takes each preset's torch_dtype; `--kv-dtype` crosses it, `same` following
    /// the tensors' type; the CSV row and the problem carry both, and stored bytes follow them.
    func testElementTypesFromModelsAndFlags() throws {
        let llama = try XCTUnwrap(ModelPreset.named("llama-3-8b"))
        let bert = try XCTUnwrap(ModelPreset.named("bert-base"))
        var grid = SweepGrid(
            variants: [.flash2], sequenceLengths: [64], queryLengths: [.fixed(1)], models: [llama, bert],
            elementTypes: .model(fallback: [.f32]), keyValueElementTypes: [nil, .q8_0], threads: [1])
        let points = try grid.configurations()
        XCTAssertEqual(
            points.map { "\($0.model ?? "")/\($0.elementType.rawValue)/\($0.keyValueElementType.rawValue)" },
            ["llama-3-8b/bf16/bf16", "llama-3-8b/bf16/q8_0", "bert-base/f32/f32", "bert-base/f32/q8_0"])
        let row = ResultRow(configuration: points[1], policy: RepetitionPolicy(), seed: 1)
        XCTAssertEqual(row[.elementType], "bf16")
        XCTAssertEqual(row[.keyValueElementType], "q8_0")
        XCTAssertEqual(row.problem?.keyValueElementType, .q8_0)
        let problem = try points[1].problem()
        XCTAssertEqual(AttentionTraffic.keyValueBytes(problem), 2 * 8 * 64 * 136)
        XCTAssertEqual(AttentionTraffic.keyValueBytes(try points[0].problem()), 2 * 8 * 64 * 256)
        XCTAssertLessThan(try XCTUnwrap(points[1].estimatedBytes), try XCTUnwrap(points[0].estimatedBytes))
        grid.elementTypes = .given([.f16])
        XCTAssertTrue(try grid.configurations().allSatisfy { $0.elementType == .f16 })
    }

    func testRaggedLengthsFollowTheSeed() throws {
        let grid = SweepGrid(
            variants: [.flash2], sequenceLengths: [100], batches: [4], keyLengths: .ragged(seed: 0), threads: [1],
            seed: 7)
        let lengths = try XCTUnwrap(grid.configurations().first).keyLengths.lengths(batch: 4, keyLength: 100)
        XCTAssertEqual(lengths, KeyLengthChoice.ragged(seed: 7).lengths(batch: 4, keyLength: 100))
    }

    func testMaximumLengthSearchesHaveNoLengths() throws {
        let grid = SweepGrid(variants: [.naive, .flash2], causal: .given([false, true]), threads: [1])
        let searches = try grid.maximumLengthConfigurations(fixedQueryLength: 1)
        XCTAssertEqual(searches.count, 4)
        XCTAssertTrue(searches.allSatisfy { $0.fixedQueryLength == 1 })
        XCTAssertEqual(searches[1].attempt(keyLength: 300).queryLength, 1)
        XCTAssertEqual(searches[1].attempt(keyLength: 300).keyLength, 300)
    }

    func testEveryRuleNamesItsFlag() {
        let llama = ModelPreset.named("llama-3-8b")!
        let mistral = ModelPreset.named("mistral-7b")!
        let cases: [(SweepGrid, String)] = [
            (SweepGrid(keyValueHeads: [3], threads: [1]), "--kv-heads"),
            (SweepGrid(models: [llama], heads: .given([12]), threads: [1]), "--heads"),
            (SweepGrid(windows: .given([64]), causal: .given([false]), threads: [1]), "--window"),
            (SweepGrid(models: [mistral], causal: .given([false]), threads: [1]), "--causal"),
            (SweepGrid(sequenceLengths: [64], batches: [2], keyLengths: .explicit([5]), threads: [1]), "--key-lengths"),
            (SweepGrid(sequenceLengths: [64], keyLengths: .explicit([65]), threads: [1]), "--key-lengths"),
            (SweepGrid(threads: [300]), "--threads"),
            (SweepGrid(threads: [1], processes: 21), "--processes"),
            (SweepGrid(sequenceLengths: [1 << 30], batches: [1 << 20], threads: [1]), "--seq-len"),
            (SweepGrid(queryBlocks: [.fixed(0)], threads: [1]), "--block-q"),
            (SweepGrid(elementTypes: .given([.q8_0]), threads: [1]), "--dtype"),
            (SweepGrid(headDimensions: .given([64, 80]), keyValueElementTypes: [.q8_0], threads: [1]), "--kv-dtype"),
            (SweepGrid(keyValueElementTypes: [], threads: [1]), "--kv-dtype"),
        ]
        for (grid, flag) in cases {
            XCTAssertThrowsError(try grid.configurations(), flag) { error in
                XCTAssertEqual((error as? InputError)?.source, flag, "\(error)")
            }
        }
        XCTAssertThrowsError(
            try SweepGrid(keyLengths: .explicit([600]), threads: [1]).maximumLengthConfigurations(fixedQueryLength: nil)
        ) { XCTAssertTrue("\($0)".contains("maxlen"), "\($0)") }
    }
}
