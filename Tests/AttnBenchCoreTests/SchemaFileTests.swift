import AttentionKernels
import AttnBenchCore
import Foundation
import XCTest

/// schema/columns.json (read by the plotting scripts and the README) and ResultColumn (what
/// attnbench writes) describe the same CSV.
final class SchemaFileTests: XCTestCase {
    struct SchemaFile: Decodable {
        struct Column: Decodable {
            let name: String
            let type: String
            let unit: String
            let description: String
        }
        let schema_version: Int
        let statuses: [String]
        let kinds: [String]
        let variants: [String]
        let configuration_key: [String]
        let machine_key: [String]
        let columns: [Column]
    }

    func load() throws -> SchemaFile {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("schema/columns.json"))
        return try JSONDecoder().decode(SchemaFile.self, from: data)
    }

    func testColumnsVersionAndKeysMatch() throws {
        let file = try load()
        XCTAssertEqual(file.columns.map(\.name), ResultColumn.allCases.map(\.rawValue))
        XCTAssertEqual(String(file.schema_version), ResultColumn.currentSchemaVersion)
        XCTAssertEqual(file.configuration_key, ResultColumn.configurationKey.map(\.rawValue))
        XCTAssertEqual(file.machine_key, ResultColumn.machineKey.map(\.rawValue))
        XCTAssertEqual(file.statuses, RowStatus.allCases.map(\.rawValue))
        XCTAssertEqual(file.kinds, RowKind.allCases.map(\.rawValue))
        XCTAssertEqual(file.variants, AttentionVariant.allCases.map(\.rawValue))
        for column in file.columns {
            XCTAssertTrue(["int", "float", "bool", "str"].contains(column.type), "\(column.name): type \(column.type)")
            XCTAssertFalse(column.description.isEmpty, "\(column.name) has no description")
        }
    }
}
