import AttentionKernels
import AttnBenchCLI
import AttnBenchCore
import XCTest

/// The typed list flags read what they say and refuse everything else.
final class ArgumentValuesTests: XCTestCase {
    /// --dtype: types by attnbench's, NumPy's or PyTorch's names, or 'model' alone; q8_0 only as
    /// a K/V type; --kv-dtype: 'same' or types.
    func testElementTypes() throws {
        XCTAssertEqual(try ArgumentValues.elementTypes("f32,bfloat16,FP16"), .given([.f32, .bf16, .f16]))
        XCTAssertEqual(try ArgumentValues.elementTypes("model"), .model(fallback: [.f32]))
        for bad in ["model,f16", "q8_0", "fp8", "f32,"] {
            XCTAssertThrowsError(try ArgumentValues.elementTypes(bad), bad)
        }
        XCTAssertThrowsError(try ArgumentValues.elementTypes("q8_0")) {
            XCTAssertTrue("\($0)".contains("--kv-dtype q8_0"), "\($0)")
        }
        XCTAssertEqual(try ArgumentValues.keyValueElementTypes("same,q8_0,half"), [nil, .q8_0, .f16])
        XCTAssertThrowsError(try ArgumentValues.keyValueElementTypes("int4"))
    }

    func testCountsWithSuffixes() throws {
        XCTAssertEqual(try ArgumentValues.counts("512,1k,4k"), [512, 1024, 4096])
        XCTAssertEqual(try ArgumentValues.counts(" 7 , 2K"), [7, 2048])
        XCTAssertEqual(try ArgumentValues.counts("1m"), [1 << 20])
        XCTAssertEqual(try ArgumentValues.counts("0,3", minimum: 0), [0, 3])
    }

    func testCountsRefuseMalformedItems() {
        for bad in ["", ",", "1,,2", "-5", "-1", "1.5k", "1k2", "k", "0x10", "0", "+3", "99999999999999999999k", "1e3"]
        {
            XCTAssertThrowsError(try ArgumentValues.counts(bad), "accepted '\(bad)'")
        }
    }

    func testErrorSaysWhatIsAccepted() {
        XCTAssertThrowsError(try ArgumentValues.counts("abc", example: "1,2")) {
            XCTAssertEqual(
                "\($0)",
                "'abc' is not accepted; expected integers ≥ 1, optionally with a k suffix (×1024), comma-separated, "
                    + "e.g. 1,2"
            )
        }
    }

    func testQueryLengthsBlocksAndWindows() throws {
        XCTAssertEqual(try ArgumentValues.queryLengths("seq,1,2k"), [.sequence, .fixed(1), .fixed(2048)])
        XCTAssertThrowsError(try ArgumentValues.queryLengths("1k2"))
        XCTAssertThrowsError(try ArgumentValues.queryLengths("seq,0"))
        XCTAssertEqual(try ArgumentValues.blocks("auto,64"), [.automatic, .fixed(64)])
        XCTAssertThrowsError(try ArgumentValues.blocks("0"))
        XCTAssertEqual(try ArgumentValues.windows("none,4k"), [nil, 4096])
        XCTAssertThrowsError(try ArgumentValues.windows("-1"))
        XCTAssertThrowsError(try ArgumentValues.windows("none,"))
    }

    func testCausalIsAList() throws {
        XCTAssertEqual(try ArgumentValues.causal("off,on"), [false, true])
        XCTAssertEqual(try ArgumentValues.causal("on"), [true])
        XCTAssertEqual(try ArgumentValues.causal("both"), [false, true])
        XCTAssertThrowsError(try ArgumentValues.causal("yes"))
    }

    func testNamedValues() throws {
        XCTAssertEqual(try ArgumentValues.variants("naive,flash2"), [.naive, .flash2])
        XCTAssertThrowsError(try ArgumentValues.variants("naive,flash3"))
        XCTAssertEqual(try ArgumentValues.blasCores("env,haswell"), [.inherited, .named("Haswell")])
        XCTAssertThrowsError(try ArgumentValues.blasCores("Pentium"))
        XCTAssertEqual(try ArgumentValues.naiveStrategies("auto,blas"), [nil, .blas])
        XCTAssertEqual(try ArgumentValues.models("llama-3-8b").map(\.name), ["llama-3-8b"])
        XCTAssertThrowsError(try ArgumentValues.models("x"))
        XCTAssertEqual(try ArgumentValues.keyLengths("ragged"), .ragged(seed: 0))
        XCTAssertEqual(try ArgumentValues.keyLengths("5,0"), .explicit([5, 0]))
        XCTAssertThrowsError(try ArgumentValues.keyLengths("5,-1"))
    }

    func testByteCounts() {
        XCTAssertEqual(ByteCount.byteCount("512MiB"), 512 << 20)
        XCTAssertEqual(ByteCount.byteCount("2GiB"), 2 << 30)
        XCTAssertEqual(ByteCount.byteCount("1.5GB"), 1_500_000_000)
        XCTAssertEqual(ByteCount.byteCount("4096"), 4096)
        XCTAssertNil(ByteCount.byteCount("lots"))
        XCTAssertNil(ByteCount.byteCount("-1GiB"))
    }
}
