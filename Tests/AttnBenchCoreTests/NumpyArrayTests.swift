import AttentionKernels
import AttnBenchCore
import XCTest

final class NumpyArrayTests: XCTestCase {
    func testRoundTrip() throws {
        let array = NumpyArray(shape: [2, 1, 3, 2], values: (0..<12).map { Float($0) * 0.5 - 1 })
        let bytes = array.encode()
        XCTAssertEqual((bytes.count - 12 * 4) % 64, 0, "header must be padded to 64 bytes")
        XCTAssertEqual(try NumpyArray.decode(bytes, name: "--query"), array)
    }

    /// fp16, bf16 (as NumPy saves an ml_dtypes.bfloat16 array: '<V2') and 16-bit patterns keep
    /// their kind and bits through a round trip, and widen to the values they hold.
    func testHalfAndBFloat16RoundTrip() throws {
        let values: [Float] = [1.5, -2, 0.099975586, 65504, 0x1p-24, 0]
        for element in [NumpyElement.float16, .bfloat16, .uint16] {
            let type: ElementType = element == .float16 ? .f16 : .bf16
            let array = NumpyArray(shape: [1, 1, 2, 3], values: values, type: type, element: element)
            let bytes = array.encode()
            XCTAssertEqual((bytes.count - 6 * 2) % 64, 0)
            XCTAssertTrue(String(decoding: bytes.prefix(80), as: UTF8.self).contains("'descr': '\(element.rawValue)'"))
            let decoded = try NumpyArray.decode(bytes, name: "q.npy")
            XCTAssertEqual(decoded, array)
            XCTAssertEqual(decoded.floatValues(as: type), ElementConversion.rounded(values, to: type), "\(element)")
        }
        XCTAssertEqual(NumpyArray(shape: [2], values: [0.25, 1]).floatValues(), [0.25, 1])
    }

    /// A header exactly as NumPy 2 writes it for np.zeros((1, 2, 3, 4), np.float32).
    func testReadsNumPyHeader() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }"
        header += String(repeating: " ", count: 128 - 10 - header.count - 1) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 24 * 4)
        let array = try NumpyArray.decode(bytes, name: "q.npy")
        XCTAssertEqual(array.shape, [1, 2, 3, 4])
    }

    func testRejectsWrongDtypeOrderAndSize() {
        func file(_ descr: String, fortran: Bool = false, shape: String = "(2,)", dataBytes: Int = 8) -> [UInt8] {
            let header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }\n"
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
                + [UInt8](repeating: 0, count: dataBytes)
        }
        XCTAssertThrowsError(try NumpyArray.decode(file("<f8", dataBytes: 16), name: "--key 'k.npy'")) {
            XCTAssertEqual(
                "\($0)",
                "--key 'k.npy': invalid value 'dtype <f8'; expected float32 ('<f4'), float16 ('<f2'), bfloat16 "
                    + "(ml_dtypes, '<V2') or uint16 bit patterns ('<u2'), little-endian; convert with "
                    + "arr.astype(np.float32)"
            )
        }
        XCTAssertThrowsError(try NumpyArray.decode(file("<f2", dataBytes: 8), name: "k"), "2 bytes a value")
        XCTAssertThrowsError(try NumpyArray.decode(file("<f4", fortran: true), name: "k"))
        XCTAssertThrowsError(try NumpyArray.decode(file("<f4", dataBytes: 4), name: "k"))
        XCTAssertThrowsError(try NumpyArray.decode(Array("not numpy".utf8), name: "k"))
    }
}
