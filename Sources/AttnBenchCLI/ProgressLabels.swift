import AttnBenchCore

extension KernelSetting {
    /// A short human label for progress lines and dry runs; `lengths` sits after the heads.
    func progressLabel(lengths: String?) -> String {
        var s = variant.rawValue + (model.map { " \($0)" } ?? "") + " B=\(batch) H=\(heads)"
        if keyValueHeads != heads { s += " KV=\(keyValueHeads)" }
        if let lengths { s += " " + lengths }
        s += " d=\(headDimension)"
        if let window { s += " window=\(window)" }
        switch keyLengths {
        case .full: break
        case .ragged: s += " keys=ragged"
        case .explicit(let values): s += " keys=\(values.map(String.init).joined(separator: ","))"
        }
        if let blocks { s += " blocks=\(blocks.sizes.query)x\(blocks.sizes.key)\(blocks.automatic ? "(auto)" : "")" }
        s += " causal=\(causal ? "on" : "off") threads=\(threads)"
        if elementType != .f32 || keyValueElementType != .f32 {
            s += " dtype=\(elementType.rawValue)"
            if keyValueElementType != elementType { s += " kv=\(keyValueElementType.rawValue)" }
        }
        if let core = blasCore.coreTypeVariable { s += " core=\(core)" }
        if let naiveStrategy { s += " strategy=\(naiveStrategy.rawValue)" }
        return s
    }
}

extension SweepConfiguration {
    var progressLabel: String { setting.progressLabel(lengths: "Sq=\(queryLength) Skv=\(keyLength)") }
}

extension MaxLengthConfiguration {
    var progressLabel: String { setting.progressLabel(lengths: fixedQueryLength.map { "Sq=\($0)" }) }
}

extension SweepPlan {
    /// "44 configurations (shard 1/2 of 88) + 4 maximum-length searches".
    var summary: String {
        let searchCount = searches.count
        return "\(configurations.count) configurations"
            + (shard.map { " (shard \($0.index)/\($0.count) of \(gridCount))" } ?? "")
            + (searchCount == 0 ? "" : " + \(searchCount) maximum-length searches")
    }
}
