extension AttentionProblem {
    /// Writes −∞ into the masked entries of a score block. The block holds query rows
    /// rowStart..<rowStart+rows and keys keyStart..<keyStart+columns, leading dimension ld.
    /// A row's visible keys start..<end both move right with the row, so the block needs no
    /// mask when its first row sees up to keyEnd and its last row from keyStart.
    @inline(__always)
    func maskScores(
        _ scores: UnsafeMutablePointer<Float>, leadingDimension ld: Int, batch b: Int,
        rowStart: Int, rows: Int, keyStart: Int, columns: Int
    ) {
        let keyEnd = keyStart + columns
        if visibleKeyEnd(batch: b, row: rowStart) >= keyEnd
            && visibleKeyStart(batch: b, row: rowStart + rows - 1) <= keyStart
        {
            return
        }
        for r in 0..<rows {
            maskRow(scores + r * ld, batch: b, position: rowStart + r, keyStart: keyStart, columns: columns)
        }
    }

    /// The same for a block whose rows are the query rows of several heads of one group, stacked
    /// (row r is query position r % queryLength).
    @inline(__always)
    func maskGroupedScores(
        _ scores: UnsafeMutablePointer<Float>, leadingDimension ld: Int, batch b: Int,
        rowStart: Int, rows: Int, keyStart: Int, columns: Int
    ) {
        for r in 0..<rows {
            maskRow(
                scores + r * ld, batch: b, position: (rowStart + r) % queryLength, keyStart: keyStart, columns: columns)
        }
    }

    @inline(__always)
    func maskRow(_ row: UnsafeMutablePointer<Float>, batch b: Int, position: Int, keyStart: Int, columns: Int) {
        let start = visibleKeyStart(batch: b, row: position)
        let end = visibleKeyEnd(batch: b, row: position)
        let keyEnd = keyStart + columns
        let lowMasked = min(max(start, keyStart), keyEnd) - keyStart
        if lowMasked > 0 { row.update(repeating: -.infinity, count: lowMasked) }
        let firstHighMasked = max(min(end, keyEnd), keyStart + lowMasked) - keyStart
        if firstHighMasked < columns {
            (row + firstHighMasked).update(repeating: -.infinity, count: columns - firstHighMasked)
        }
    }
}
