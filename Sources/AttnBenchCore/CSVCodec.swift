/// RFC 4180 CSV: fields containing a comma, quote or newline are quoted, quotes doubled.
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
        if characters.first == "\u{FEFF}" { characters.removeFirst() } // a UTF-8 byte-order mark (Excel)
        var iterator = characters.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                    } else { inQuotes = false }
                } else { field.append(c) }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                record.append(field); field = ""
                records.append(record); record = []
            } else if c == "\r" {
                continue
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    /// Parses an attnbench CSV into rows. Unknown columns are ignored; a header without the
    /// schema version or with another version is an error naming the file.
    public static func parse(_ text: String, source: String) throws(InputError) -> [ResultRow] {
        let all = records(text).filter { !($0.count == 1 && $0[0].isEmpty) }
        guard let header = all.first else {
            throw InputError(flag: source, value: "(empty file)", expected: "an attnbench CSV with a header row")
        }
        var index: [ResultColumn: Int] = [:]
        for (i, name) in header.enumerated() {
            if let column = ResultColumn(rawValue: name) { index[column] = i }
        }
        guard let versionIndex = index[.schemaVersion], index[.variant] != nil else {
            throw InputError(flag: source, value: "header '\(header.prefix(4).joined(separator: ","))…'",
                             expected: "an attnbench CSV (columns schema_version and variant)")
        }
        var rows: [ResultRow] = []
        for (n, record) in all.dropFirst().enumerated() {
            if record.count != header.count {
                throw InputError(flag: source, value: "row \(n + 2) has \(record.count) fields",
                                 expected: "\(header.count) fields, as in the header (was the file cut off?)")
            }
            let version = record[versionIndex]
            if version != ResultColumn.currentSchemaVersion {
                throw InputError(flag: source, value: "schema_version \(version)",
                                 expected: "schema_version \(ResultColumn.currentSchemaVersion) (re-run the sweep with this attnbench)")
            }
            var row = ResultRow(values: [:])
            for (column, i) in index { row.values[column] = record[i] }
            rows.append(row)
        }
        return rows
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
