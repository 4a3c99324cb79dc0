import AttentionKernels
import AttnBenchCore
import Foundation
import XCTest

/// schema/constants.json, which the Python scripts read, holds exactly the engine's constants.
/// With ATTNBENCH_WRITE_CONSTANTS=1 the test writes the file instead of checking it.
final class ConstantsFileTests: XCTestCase {
    func testConstantsFileIsTheEnginesConstants() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent("schema/constants.json")
        if ProcessInfo.processInfo.environment["ATTNBENCH_WRITE_CONSTANTS"] == "1" {
            try AttnBenchConstants.json.write(to: url, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(
            try String(contentsOf: url, encoding: .utf8), AttnBenchConstants.json,
            "schema/constants.json differs from AttnBenchConstants; regenerate it with ATTNBENCH_WRITE_CONSTANTS=1 "
                + "swift test"
        )
    }

    func testTheFLOPCountUsesTheSharedConstant() throws {
        let problem = try AttentionProblem(batch: 2, heads: 3, queryLength: 5, keyLength: 7, headDimension: 4)
        XCTAssertEqual(
            AttentionFLOPs.useful(problem), Double(AttnBenchConstants.flopsPerVisibleScore * 2 * 3 * 5 * 7 * 4))
    }
}
