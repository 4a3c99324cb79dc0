/// Reads and writes NumPy `.npy` files (format 1.0–3.0) holding little-endian float32 in C
/// order — the only kind `attnbench eval` accepts. Pure byte transformations; the CLI does the
/// file I/O.
public struct NumpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Decodes a .npy file's bytes. `name` (where the bytes came from) goes into error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(InputError) -> NumpyArray {
        func fail(_ value: String, _ expected: String) -> InputError {
            InputError(source: name, value: value, expected: expected)
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file", "a NumPy .npy file (np.save) of little-endian float32")
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
        guard dtype == "<f4" || dtype == "f4" else {
            throw fail("dtype \(dtype)", "float32 little-endian ('<f4'); convert with arr.astype(np.float32)")
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
        guard bytes.count - dataStart == count * 4 else {
            throw fail(
                "\(bytes.count - dataStart) data bytes for shape \(shape)",
                "\(count * 4) bytes (the file may be cut off)")
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                destination.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[dataStart..<(dataStart + count * 4)]))
            }
        }
        #if _endian(big)
            values = values.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
        #endif
        return NumpyArray(shape: shape, values: values)
    }

    /// Encodes as a version 1.0 .npy (header padded to a multiple of 64 bytes).
    public func encode() -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = Self.magic + [1, 0]
        let length = header.utf8.count
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        values.withUnsafeBytes { bytes += Array($0) }
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
