import AttentionKernels
import XCTest

/// The fused kernel's narrower tiles (8 lanes as on AVX2, 4 as on SSE/NEON) run on this CPU
/// too, so every tile shape is checked against the float64 reference wherever the tests run.
final class FusedTileTests: XCTestCase {
    static let tileCases = [
        KernelCase(
            batch: 2, heads: 4, queryLength: 77, keyLength: 77, headDimension: 80, causal: true,
            keyValueHeads: 2, blocks: (32, 48), threads: 2),
        KernelCase(
            batch: 1, heads: 2, queryLength: 130, keyLength: 200, headDimension: 24, causal: false,
            validKeyLengths: [150], blocks: (64, 100)),
        KernelCase(
            batch: 1, heads: 3, queryLength: 61, keyLength: 61, headDimension: 96, causal: true,
            window: 13, blocks: (16, 32), threads: 2),
        KernelCase(
            batch: 1, heads: 1, queryLength: 33, keyLength: 33, headDimension: 256, causal: true, blocks: (8, 8)),
        KernelCase(
            batch: 2, heads: 8, queryLength: 1, keyLength: 300, headDimension: 40, causal: true,
            validKeyLengths: [300, 7], keyValueHeads: 2, window: 100, blocks: (1, 64)),
        // Decode with 6 stacked rows (2 query heads × 3 positions): one four-row tile and two
        // single rows, head_dim a multiple of every lane count.
        KernelCase(
            batch: 1, heads: 4, queryLength: 3, keyLength: 150, headDimension: 48, causal: true,
            validKeyLengths: [131], keyValueHeads: 2, blocks: (3, 64), threads: 2),
        // Decode over more keys than one chunk, with head dimensions that take every shape
        // of the P·V tile (4, 2 and 1 rows; a masked last vector; a second 256-column panel)
        // and 1, 3 and 5 stacked rows.
        KernelCase(
            batch: 1, heads: 3, queryLength: 1, keyLength: 700, headDimension: 100, causal: true,
            keyValueHeads: 1, blocks: (1, 64)),
        KernelCase(
            batch: 2, heads: 5, queryLength: 1, keyLength: 531, headDimension: 136, causal: true,
            validKeyLengths: [531, 17], keyValueHeads: 1, blocks: (1, 64), threads: 2),
        KernelCase(
            batch: 1, heads: 2, queryLength: 1, keyLength: 300, headDimension: 300, causal: false,
            blocks: (1, 64)),
        KernelCase(
            batch: 1, heads: 2, queryLength: 1, keyLength: 45, headDimension: 7, causal: false,
            blocks: (1, 64)),
        // Decode with head dimensions of whole q8_0 blocks: a second column panel (160) and
        // 12 stacked rows (two groups of score rows) at 32.
        KernelCase(
            batch: 2, heads: 8, queryLength: 1, keyLength: 531, headDimension: 160, causal: true,
            validKeyLengths: [531, 40], keyValueHeads: 2, blocks: (1, 64), threads: 2),
        KernelCase(
            batch: 1, heads: 6, queryLength: 2, keyLength: 300, headDimension: 32, causal: true,
            keyValueHeads: 1, blocks: (2, 64)),
    ]

    func testEveryTileWidthMatchesTheReference() throws {
        try checkEveryTileWidth(types: [(.f32, .f32)]) { _, _ in Tolerance.unitScale }
    }

    /// Stored types at every tile width: at 16 lanes with AVX-512 BW the decode path reads bf16,
    /// fp16 and q8_0 rows in place (typed row kernels); at 8 and 4 lanes it widens them into fp32
    /// tiles first, the path CPUs without those instructions take. Both run here.
    func testEveryTileWidthMatchesTheReferenceOnStoredTypes() throws {
        try checkEveryTileWidth(types: [(.bf16, .bf16), (.f16, .f16), (.f32, .q8_0), (.bf16, .q8_0)]) {
            CorrectnessTolerance.of($0, on: try $1.problem())
        }
    }

    /// Every tile case at every lane count this CPU runs, in each (Q/O, K/V) type pair whose
    /// blocks the head dimension holds, within `tolerance(kernel, case)`.
    func checkEveryTileWidth(
        types: [(ElementType, ElementType)], tolerance: (FusedAttention, KernelCase) throws -> Double,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        // Every allocation starts as NaN, so a pad the kernel reads without writing shows up.
        AlignedMemory.setFillOnAllocate(.nan)
        defer { AlignedMemory.setFillOnAllocate(nil) }
        for lanes in [4, 8, 16] where lanes <= max(4, VectorWidth.hostLanes) {
            for base in Self.tileCases {
                for pair in types where pair.1.canStoreRows(of: base.headDimension) {
                    var testCase = base
                    testCase.elementType = pair.0
                    testCase.keyValueElementType = pair.1
                    let kernel = FusedAttention(
                        blockSizes: try BlockSizes(query: testCase.blocks.query, key: testCase.blocks.key),
                        vectorLanes: lanes)
                    let report = try runAgainstReference(kernel, testCase)
                    XCTAssertFalse(
                        report.nonFinite, "\(lanes) lanes, \(testCase): non-finite output", file: file, line: line)
                    XCTAssertLessThan(
                        report.maxAbsError, try tolerance(kernel, testCase),
                        "\(lanes) lanes, \(testCase): \(String(describing: report.worst))", file: file, line: line)
                }
            }
        }
    }

    func testTileDescriptionNamesTheTilesRun() throws {
        let blocks = try BlockSizes(query: 64, key: 256)
        let prefill = try AttentionProblem(batch: 1, heads: 2, queryLength: 100, keyLength: 100, headDimension: 80)
        let narrow = FusedAttention(blockSizes: blocks, vectorLanes: 8)
        // d 80 pads to 80 floats at 8 lanes: 4-row tiles of 2 vectors.
        XCTAssertEqual(narrow.tileDescription(prefill, threadCount: 1), "s4x16/pv4x16/simd8")
        XCTAssertEqual(
            FusedAttention(blockSizes: blocks, vectorLanes: 4).tileDescription(prefill, threadCount: 1),
            "s4x8/pv4x8/simd4")
        let decode = try AttentionProblem(
            batch: 1, heads: 8, queryLength: 1, keyLength: 4096, headDimension: 64, causal: true, keyValueHeads: 2)
        // 2 K/V slices, 16 chunks: 4 splits each give the 2 workers 8 tasks.
        XCTAssertEqual(
            narrow.tileDescription(decode, threadCount: 2)?.hasPrefix("rows4/chunk256/splits4/"), true,
            String(describing: narrow.tileDescription(decode, threadCount: 2)))
        if VectorWidth.hostLanes >= 16 {
            let wide = FusedAttention(blockSizes: blocks, vectorLanes: 16)
            let d128 = try AttentionProblem(batch: 1, heads: 2, queryLength: 100, keyLength: 100, headDimension: 128)
            XCTAssertEqual(wide.tileDescription(d128, threadCount: 1)?.hasPrefix("s8x32/pv8x32/"), true)
            XCTAssertEqual(wide.tileDescription(prefill, threadCount: 1)?.hasPrefix("s8x32/pv4x64/"), true)
        }
        let flash2 = try AttentionVariant.flash2.makeKernel(blockSizes: blocks)
        XCTAssertNil(flash2.tileDescription(prefill, threadCount: 1))
    }
}
