import AttentionKernels
import CMicroKernels
import XCTest

/// The storage types' conversions: the vector paths picked at run time (F16C, AVX2) against the
/// portable C and against Swift's own Float16, bf16 rounding to nearest even, and q8_0 blocks
/// as ggml's `quantize_row_q8_0` writes them.
final class ElementConversionTests: XCTestCase {
    /// Every fp16 bit pattern widens to the same value on the dispatched path, the portable one
    /// and Swift's Float16.
    func testEveryHalfWidensExactlyOnEveryPath() {
        let patterns = (0...0xFFFF).map { UInt16($0) }
        var fast = [Float](repeating: 0, count: patterns.count)
        var portable = fast
        attnbench_widen_f16(patterns, patterns.count, &fast)
        attnbench_widen_f16_portable(patterns, patterns.count, &portable)
        for (i, bits) in patterns.enumerated() {
            let swift = Float(Float16(bitPattern: bits))
            if swift.isNaN {
                XCTAssertTrue(fast[i].isNaN && portable[i].isNaN, "0x\(String(bits, radix: 16)) is NaN")
            } else {
                XCTAssertEqual(fast[i].bitPattern, swift.bitPattern, "dispatched, 0x\(String(bits, radix: 16))")
                XCTAssertEqual(portable[i].bitPattern, swift.bitPattern, "portable, 0x\(String(bits, radix: 16))")
            }
        }
    }

    /// fp32 values across fp16's range (subnormals, halfway cases, overflow, signed zeros,
    /// infinities, NaN) narrow to the same bits on every path as Swift's Float16(x).
    func testHalfNarrowingRoundsToNearestEvenOnEveryPath() {
        var values: [Float] = [
            0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e6, .infinity, -.infinity, 0x1p-14, 0x1p-24, 0x1p-25,
            0x1.8p-25, 0x1p-26, 3 * 0x1p-25, 1 + 0x1p-11, 1 + 3 * 0x1p-11, .nan, 6e-5, -6e-8,
        ]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20000 {
            // Exponents from 2^-30 to 2^17 with random mantissas, both signs.
            let exponent = Int(generator.next() % 48) - 30
            let mantissa = Float(generator.nextUnitDouble()) + 1
            let sign: Float = generator.next() & 1 == 0 ? 1 : -1
            values.append(sign * mantissa * Float(sign: .plus, exponent: exponent, significand: 1))
        }
        var fast = [UInt16](repeating: 0, count: values.count)
        var portable = fast
        attnbench_narrow_f16(values, values.count, &fast)
        attnbench_narrow_f16_portable(values, values.count, &portable)
        for (i, x) in values.enumerated() {
            if x.isNaN {
                XCTAssertTrue(Float16(bitPattern: fast[i]).isNaN && Float16(bitPattern: portable[i]).isNaN)
                continue
            }
            let want = Float16(x).bitPattern
            XCTAssertEqual(fast[i], want, "dispatched, \(x)")
            XCTAssertEqual(portable[i], want, "portable, \(x)")
        }
    }

    /// bf16 keeps fp32's exponent and 7 mantissa bits, rounding halfway cases to even.
    func testBFloat16RoundsToNearestEven() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (1 + 0x1.8p-8, 0x3F81), (-2, 0xC000),
            (.greatestFiniteMagnitude, 0x7F80), (.infinity, 0x7F80), (0x1p-130, 0x0008), (0, 0), (-0.0, 0x8000),
        ]
        var stored = [UInt16](repeating: 0, count: cases.count)
        attnbench_narrow_bf16(cases.map(\.0), cases.count, &stored)
        for (i, (x, bits)) in cases.enumerated() {
            XCTAssertEqual(stored[i], bits, "\(x)")
            XCTAssertEqual(ElementConversion.bfloat16Bits(x), bits, "Swift path, \(x)")
        }
        var nan = [UInt16](repeating: 0, count: 1)
        attnbench_narrow_bf16([Float.nan], 1, &nan)
        XCTAssertTrue(ElementConversion.float(bfloat16Bits: nan[0]).isNaN, "NaN stays NaN")
        XCTAssertEqual(ElementConversion.rounded([3.14159265], to: .bf16), [3.140625])
    }

    /// A q8_0 block: the scale is max|x|/127 stored as fp16, the codes round(x·127/max|x|) half
    /// away from zero, the value scale·code; dispatched and portable decoding agree.
    func testQ8BlocksFollowGgmlsRule() {
        var x = (0..<64).map { Float($0 - 20) * 0.0371 }
        x[5] = 0.742 * 2.5 / 127  // x·127/max|x| = 2.5 up to rounding: the halfway rule decides
        x[33] = -3.2  // the second block's largest magnitude is negative
        XCTAssertEqual(ElementType.q8_0.rowBytes(64), 68)
        var stored = [UInt8](repeating: 0, count: 68)
        x.withUnsafeBufferPointer { source in
            stored.withUnsafeMutableBytes {
                ElementConversion.narrow(source.baseAddress!, count: 64, to: .q8_0, destination: $0.baseAddress!)
            }
        }
        for block in 0..<2 {
            let values = Array(x[(block * 32)..<(block * 32 + 32)])
            let amax = values.map(abs).max()!
            let scale = amax / 127
            let storedScale = UInt16(stored[block * 34]) | UInt16(stored[block * 34 + 1]) << 8
            XCTAssertEqual(storedScale, Float16(scale).bitPattern, "block \(block) scale")
            for (i, v) in values.enumerated() {
                let code = Int8(bitPattern: stored[block * 34 + 2 + i])
                XCTAssertEqual(Int(code), Int((v * (1 / scale)).rounded(.toNearestOrAwayFromZero)), "code \(i)")
            }
        }
        var fast = [Float](repeating: 0, count: 64)
        var portable = fast
        attnbench_widen_q8_0(stored, 64, &fast)
        attnbench_widen_q8_0_portable(stored, 64, &portable)
        XCTAssertEqual(fast, portable)
        let scale0 = Float(Float16(x[0..<32].map(abs).max()! / 127))
        XCTAssertEqual(fast[0], scale0 * Float(Int8(bitPattern: stored[2])))
        XCTAssertEqual(
            ElementConversion.rounded([Float](repeating: 0, count: 32), to: .q8_0), [Float](repeating: 0, count: 32))
    }

    /// The vector quantiser and the portable one write the same blocks, halfway codes (x/d =
    /// k + 1/2 exactly) rounded away from zero as roundf does, zero blocks with d = 0.
    func testQ8QuantisationIsTheSameOnEveryPath() {
        var generator = SplitMix64(seed: 11)
        var values = (0..<(32 * 200)).map { _ in Float(generator.nextUnitDouble() * 2 - 1) * 3 }
        // Block 0: max 127 and exact halves (d = 1): codes ±0.5, ±1.5, ±126.5 round away from zero.
        for (i, x) in [127, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 2.5].enumerated() { values[i] = Float(x) }
        for i in 8..<32 { values[i] = Float(i) - 16 }
        for i in 32..<64 { values[i] = 0 }  // a zero block
        var fast = [UInt8](repeating: 0, count: 34 * 200)
        var portable = fast
        attnbench_quantize_q8_0(values, values.count, &fast)
        attnbench_quantize_q8_0_portable(values, values.count, &portable)
        XCTAssertEqual(fast, portable)
        let codes = (0..<8).map { Int8(bitPattern: fast[2 + $0]) }
        XCTAssertEqual(codes, [127, 1, -1, 2, -2, 127, -127, 3])
        XCTAssertEqual(Array(fast[34..<68]), [UInt8](repeating: 0, count: 34))
    }

    /// Reads widen and writes round: a q8_0 write requantises its block; sizes follow the type.
    func testTensorsStoreTheirTypeAndReadBackWhatTheyStore() {
        for type in ElementType.allCases {
            let tensor = AttentionTensor(batch: 2, heads: 3, sequenceLength: 5, headDimension: 64, elementType: type)
            XCTAssertEqual(tensor.byteCount, 2 * 3 * 5 * type.rowBytes(64), "\(type)")
            tensor.fillRandom(seed: 3)
            let values = tensor.toArray()
            let exact = AttentionTensor(batch: 2, heads: 3, sequenceLength: 5, headDimension: 64)
            exact.fillRandom(seed: 3)
            let roundedBack = ElementConversion.rounded(exact.toArray(), to: type)
            XCTAssertEqual(values, roundedBack, "\(type): the same seeded values, rounded to the type")
            tensor[1, 2, 4, 63] = 0.25
            XCTAssertEqual(
                tensor[1, 2, 4, 63], ElementConversion.rounded([0.25], to: type == .q8_0 ? .f32 : type)[0],
                accuracy: type == .q8_0 ? 1.0 / 127 : 0, "\(type) write")
        }
        XCTAssertEqual(ElementType.bf16.rowBytes(128), 256)
        XCTAssertEqual(ElementType.q8_0.rowBytes(128), 136)
        XCTAssertEqual(ElementType.q8_0.bytesPerValue, 34.0 / 32)
    }
}
