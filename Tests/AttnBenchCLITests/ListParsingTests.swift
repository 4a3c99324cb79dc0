import AttnBenchCLI
import AttnBenchCore
import XCTest

final class ListParsingTests: XCTestCase {
    func testIntegersWithSuffixes() throws {
        XCTAssertEqual(try ListParsing.integers("512,1k,4k", flag: "--seq-len"), [512, 1024, 4096])
        XCTAssertEqual(try ListParsing.integers(" 7 , 2K", flag: "--batch"), [7, 2048])
        XCTAssertEqual(try ListParsing.integers("1m", flag: "--seq-len"), [1 << 20])
    }

    func testIntegerErrorsNameFlagValueAndFix() {
        XCTAssertThrowsError(try ListParsing.integers("512,abc", flag: "--seq-len")) {
            XCTAssertEqual("\($0)", "--seq-len: invalid value 'abc'; expected integers ≥ 1, optionally with a k suffix (×1024), e.g. 512,1k,4k")
        }
        XCTAssertThrowsError(try ListParsing.integers("0", flag: "--block-size")) {
            XCTAssertEqual("\($0)", "--block-size: invalid value '0'; expected integers ≥ 1, optionally with a k suffix (×1024), e.g. 512,1k,4k")
        }
        for bad in ["", ",", "1,,2", "-5", "1.5k", "99999999999999999999k"] {
            XCTAssertThrowsError(try ListParsing.integers(bad, flag: "--batch"), "accepted '\(bad)'")
        }
    }

    func testByteCounts() throws {
        XCTAssertEqual(try ListParsing.byteCount("512MiB", flag: "--memory-budget"), 512 << 20)
        XCTAssertEqual(try ListParsing.byteCount("2GiB", flag: "--memory-budget"), 2 << 30)
        XCTAssertEqual(try ListParsing.byteCount("1.5GB", flag: "--memory-budget"), 1_500_000_000)
        XCTAssertEqual(try ListParsing.byteCount("4096", flag: "--memory-budget"), 4096)
        XCTAssertThrowsError(try ListParsing.byteCount("lots", flag: "--memory-budget")) {
            XCTAssertEqual("\($0)", "--memory-budget: invalid value 'lots'; expected a positive size such as 512MiB, 2GiB or 1.5GB")
        }
        XCTAssertThrowsError(try ListParsing.byteCount("-1GiB", flag: "--memory-budget"))
    }

    func testNames() throws {
        XCTAssertEqual(try ListParsing.names("naive,flash2", flag: "--variants", allowed: ["naive", "flash2"]), ["naive", "flash2"])
        XCTAssertThrowsError(try ListParsing.names("naive,flash3", flag: "--variants", allowed: ["naive", "flash2"])) {
            XCTAssertEqual("\($0)", "--variants: invalid value 'flash3'; expected one or more of naive, flash2 (comma-separated)")
        }
    }
}
