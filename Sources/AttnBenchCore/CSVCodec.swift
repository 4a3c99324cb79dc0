/// RFC 4180 CSV: fields containing a comma, quote or newline are quoted, quotes doubled.
///
/// Written by hand rather than with a CSV package: resuming a sweep must tell a row cut off by a crash
/// (no final newline) from a malformed one, which needs the raw text a row parser hides.
public enum CSVCodec {
    public static func headerLine(_ columns: [ResultColumn] = ResultColumn.allCases) -> String {
        columns.map(\.rawValue).joined(separator: ",")
    }

    public static func line(_ row: ResultRow, columns: [ResultColumn] = ResultColumn.allCases) -> String {
        columns.map { escape(row[$0]) }.joined(separator: ",")
    }

    public static func escape(_ field: String) -> String {
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
        }
        return field
    }

    /// Splits CSV text into records of fields (handles quoted fields with commas and newlines).
    public static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var characters = Array(text)
        if characters.first == "\u{FEFF}" { characters.removeFirst() }  // a UTF-8 byte-order mark (Excel)
        var iterator = characters.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\n" || c == "\r\n" {
                record.append(field)
                field = ""
                records.append(record)
                record = []
            } else if c == "\r" {
                continue
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }

    /// An attnbench CSV: its rows, and whether a last row cut off mid-write (no final newline)
    /// was left out.
    public struct Document: Sendable {
        public var header: [String]
        public var rows: [ResultRow]
        /// The text of a last row without its newline, left out of `rows`; nil when none.
        public var droppedIncompleteLastRow: String?
    }

    /// Parses an attnbench CSV into rows. Unknown columns are ignored; a header without the
    /// schema version or with another version, or a row with the wrong number of fields, is an
    /// error naming `source`. With `droppingIncompleteLastRow`, a last row without its final
    /// newline (a write cut off by a crash) is left out and reported instead.
    public static func parseDocument(
        _ text: String, source: String,
        droppingIncompleteLastRow: Bool = false
    ) throws(InputError) -> Document {
        var body = Substring(text)
        var dropped: String? = nil
        if droppingIncompleteLastRow, let last = body.last, last != "\n", let newline = body.lastIndex(of: "\n") {
            dropped = String(body[body.index(after: newline)...])
            body = body[...newline]
        }
        let all = records(String(body)).filter { !($0.count == 1 && $0[0].isEmpty) }
        guard let header = all.first else {
            throw InputError(source: source, value: "(empty file)", expected: "an attnbench CSV with a header row")
        }
        var index: [ResultColumn: Int] = [:]
        for (i, name) in header.enumerated() {
            if let column = ResultColumn(rawValue: name) { index[column] = i }
        }
        guard let versionIndex = index[.schemaVersion], index[.variant] != nil else {
            throw InputError(
                source: source, value: "header '\(header.prefix(4).joined(separator: ","))…'",
                expected: "an attnbench CSV (columns schema_version and variant)")
        }
        var rows: [ResultRow] = []
        for (n, record) in all.dropFirst().enumerated() {
            if record.count != header.count {
                throw InputError(
                    source: source, value: "row \(n + 2) has \(record.count) fields",
                    expected: "\(header.count) fields, as in the header")
            }
            let version = record[versionIndex]
            if version != ResultColumn.currentSchemaVersion {
                throw InputError(
                    source: source, value: "schema_version \(version)",
                    expected:
                        "schema_version \(ResultColumn.currentSchemaVersion) (re-run the sweep with this attnbench)")
            }
            var row = ResultRow(cells: [:])
            for (column, i) in index { row[column] = record[i] }
            rows.append(row)
        }
        return Document(header: header, rows: rows, droppedIncompleteLastRow: dropped)
    }

    public static func parse(_ text: String, source: String) throws(InputError) -> [ResultRow] {
        try parseDocument(text, source: source).rows
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
