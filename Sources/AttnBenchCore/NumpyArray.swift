import AttentionKernels

/// The element kinds of the `.npy` files `attnbench eval` reads and writes, by their `descr`.
public enum NumpyElement: String, Sendable, CaseIterable {
    /// float32, little-endian.
    case float32 = "<f4"
    /// float16 (IEEE half), little-endian.
    case float16 = "<f2"
    /// bfloat16 as NumPy saves an `ml_dtypes.bfloat16` array: a 2-byte void.
    case bfloat16 = "<V2"
    /// 16-bit bit patterns, read as bf16 or fp16 (`eval --dtype` says which).
    case uint16 = "<u2"

    /// The descr spellings NumPy may write for this kind.
    var spellings: [String] {
        switch self {
        case .float32: return ["<f4", "f4"]
        case .float16: return ["<f2", "f2"]
        case .bfloat16: return ["<V2", "|V2", "V2"]
        case .uint16: return ["<u2", "u2"]
        }
    }

    public var bytesPerValue: Int { self == .float32 ? 4 : 2 }

    /// The storage type the values are in; nil for bit patterns, whose type the caller names.
    public var elementType: ElementType? {
        switch self {
        case .float32: return .f32
        case .float16: return .f16
        case .bfloat16: return .bf16
        case .uint16: return nil
        }
    }
}

/// Reads and writes NumPy `.npy` files (format 1.0–3.0) in C order holding little-endian
/// float32, float16, bfloat16 (`ml_dtypes`) or 16-bit patterns. Pure byte transformations; the
/// CLI does the file I/O.
public struct NumpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var element: NumpyElement
    /// The payload as stored: `element.bytesPerValue` little-endian bytes per value, C order.
    public var data: [UInt8]

    /// A float32 array.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        element = .float32
        data = values.withUnsafeBytes { Array($0) }
        #if _endian(big)
            data = Self.swappingBytes(data, width: 4)
        #endif
    }

    /// An array of `element` values stored as `data` (little-endian, C order).
    init(shape: [Int], element: NumpyElement, data: [UInt8]) {
        self.shape = shape
        self.element = element
        self.data = data
    }

    /// An array of 16-bit elements from their bit patterns.
    public init(shape: [Int], element: NumpyElement, bits: [UInt16]) {
        precondition(element != .float32, "16-bit elements only")
        precondition(shape.reduce(1, *) == bits.count, "shape \(shape) does not hold \(bits.count) values")
        self.init(shape: shape, element: element, data: bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    }

    /// `values` stored as `type` (f32, bf16 or f16) in an array of kind `element` (for 16-bit
    /// types: `.bfloat16`/`.float16`, or `.uint16` bit patterns).
    public init(shape: [Int], values: [Float], type: ElementType, element: NumpyElement) {
        switch type {
        case .f32: self.init(shape: shape, values: values)
        case .bf16: self.init(shape: shape, element: element, bits: values.map(ElementConversion.bfloat16Bits))
        case .f16: self.init(shape: shape, element: element, bits: values.map(ElementConversion.halfBits))
        case .q8_0: preconditionFailure("q8_0 is not an .npy element type")
        }
    }

    /// The values widened to fp32, the 16-bit kinds read as `type` (for `.uint16`; the others
    /// know their own).
    public func floatValues(as type: ElementType? = nil) -> [Float] {
        let count = data.count / element.bytesPerValue
        if element == .float32 {
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyBytes(from: data) }
            #if _endian(big)
                values = values.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
            #endif
            return values
        }
        let bits = (0..<count).map { UInt16(data[2 * $0]) | UInt16(data[2 * $0 + 1]) << 8 }
        switch element.elementType ?? type ?? .bf16 {
        case .f16: return bits.map { ElementConversion.float(halfBits: $0) }
        default: return bits.map { ElementConversion.float(bfloat16Bits: $0) }
        }
    }

    /// The float32 values of a float32 array.
    public var values: [Float] {
        precondition(element == .float32, "values of a \(element.rawValue) array: use floatValues(as:)")
        return floatValues()
    }

    #if _endian(big)
        static func swappingBytes(_ bytes: [UInt8], width: Int) -> [UInt8] {
            stride(from: 0, to: bytes.count, by: width).flatMap { bytes[$0..<($0 + width)].reversed() }
        }
    #endif

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Decodes a .npy file's bytes. `name` (where the bytes came from) goes into error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(InputError) -> NumpyArray {
        func fail(_ value: String, _ expected: String) -> InputError {
            InputError(source: name, value: value, expected: expected)
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file", "a NumPy .npy file (np.save) of float32, float16 or bfloat16")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw fail("truncated header", "a complete .npy file") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw fail("format version \(major)", ".npy format version 1, 2 or 3")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header", "a complete .npy file") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = field(header, "descr") else {
            throw fail("header without descr", "a .npy header written by NumPy")
        }
        let dtype = descr.trimmingCharacters(in: "'\" ")
        guard let element = NumpyElement.allCases.first(where: { $0.spellings.contains(dtype) }) else {
            throw fail(
                "dtype \(dtype)",
                "float32 ('<f4'), float16 ('<f2'), bfloat16 (ml_dtypes, '<V2') or uint16 bit patterns ('<u2'), "
                    + "little-endian; convert with arr.astype(np.float32)")
        }
        let fortran = field(header, "fortran_order")?.trimmingSpaces() ?? "False"
        guard fortran.hasPrefix("False") else {
            throw fail("fortran_order True", "C order; save np.ascontiguousarray(arr)")
        }
        guard let shapeText = field(header, "shape") else {
            throw fail("header without shape", "a .npy header written by NumPy")
        }
        let inner = shapeText.trimmingCharacters(in: "() ")
        let shape = inner.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }.compactMap {
            Int($0)
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(dimension, 0))
            if overflow || product > Int.max / 8 {
                throw fail("shape \(shape)", "a shape whose element count fits in memory")
            }
            count = product
        }
        let dataStart = headerStart + headerLength
        let dataBytes = count * element.bytesPerValue
        guard bytes.count - dataStart == dataBytes else {
            throw fail(
                "\(bytes.count - dataStart) data bytes for shape \(shape)",
                "\(dataBytes) bytes (the file may be cut off)")
        }
        return NumpyArray(shape: shape, element: element, data: Array(bytes[dataStart..<(dataStart + dataBytes)]))
    }

    /// Encodes as a version 1.0 .npy (header padded to a multiple of 64 bytes).
    public func encode() -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = Self.magic + [1, 0]
        let length = header.utf8.count
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes += data
        return bytes
    }

    /// The text after `'key':` up to the next top-level comma (shape tuples kept whole).
    static func field(_ header: String, _ key: String) -> String? {
        guard let range = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var out = ""
        for c in header[range.upperBound...] {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            out.append(c)
        }
        return out.trimmingSpaces()
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
