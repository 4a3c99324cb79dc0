import AttentionKernels

/// Every rule of a sweep grid, checked in one place. Each failure names the flag that sets the
/// axis, the value and what is accepted.
extension SweepGrid {
    /// The most worker threads a configuration may ask for.
    public static let maximumThreads = 256
    /// The most worker processes per configuration.
    public static let maximumProcesses = 20

    public func validate() throws(InputError) {
        try Self.require(variants.map { !$0.isEmpty } ?? true, "--variants", "", "one or more variants")
        try Self.positive(sequenceLengths, flag: "--seq-len", example: "512,1k,4k")
        try Self.require(!queryLengths.isEmpty, "--query-len", "", "'seq' or query lengths, e.g. seq,1")
        for case .fixed(let length) in queryLengths where length < 1 {
            throw InputError(source: "--query-len", value: String(length), expected: "'seq' or query lengths ≥ 1")
        }
        try Self.positive(batches, flag: "--batch", example: "1,2")
        try Self.positive(heads.given ?? [1], flag: "--heads", example: "8,16")
        try Self.positive(keyValueHeads ?? [1], flag: "--kv-heads", example: "1,8")
        try Self.positive(headDimensions.given ?? [1], flag: "--head-dim", example: "64,128")
        try Self.positive(threads, flag: "--threads", example: "1,2")
        for t in threads where t > Self.maximumThreads {
            throw InputError(source: "--threads", value: String(t), expected: "1 to \(Self.maximumThreads) threads")
        }
        let windowList = windows.given ?? []
        try Self.positive(windowList.compactMap { $0 }, flag: "--window", example: "none,4096", allowEmpty: true)
        try Self.require(windows.given.map { !$0.isEmpty } ?? true, "--window", "", "'none' or windows, e.g. none,4096")
        try Self.require(causal.given.map { !$0.isEmpty } ?? true, "--causal", "", "on, off or on,off")
        try validateWindows()
        for (flag, axis) in [("--block-q", queryBlocks), ("--block-kv", keyBlocks)] {
            try Self.require(!axis.isEmpty, flag, "", "'auto' or block sizes, e.g. 64,128")
            try Self.positive(axis.compactMap(\.size), flag: flag, example: "auto or 64,128", allowEmpty: true)
        }
        try Self.require(!blasCores.isEmpty, "--blas-core", "", "'env' or OpenBLAS core names")
        try Self.require(!naiveStrategies.isEmpty, "--naive-strategy", "", "auto, slices or blas")
        try validateGrouping()
        try validateElementTypes()
        try validateSize()
        try validateKeyLengths()
        try validateTiming()
        try validateLayer()
    }

    /// `--layer` times a model's layer: it needs model presets, each with its layer fields.
    func validateLayer() throws(InputError) {
        guard measuresLayer else { return }
        let withLayer = ModelPreset.all.filter { $0.layer != nil }.map(\.name).joined(separator: ", ")
        if models.isEmpty {
            throw InputError(
                source: "--layer", value: "(no --model)",
                expected: "--model with a preset that has a layer: \(withLayer)")
        }
        if let model = models.first(where: { $0.layer == nil }) {
            throw InputError(
                source: "--layer", value: "--model \(model.name)",
                expected: "a preset with layer fields (attnbench models lists them): \(withLayer)")
        }
    }

    /// A sliding window is causal: `--causal off` cannot apply to a window, given or a model's.
    func validateWindows() throws(InputError) {
        guard let given = causal.given, !given.contains(true) else { return }
        for model in models.isEmpty ? [nil] : models.map(Optional.some) {
            let modelWindows = windows.values(model.map { $0.window })
            guard modelWindows.contains(where: { $0 != nil }) else { continue }
            let text = modelWindows.map { $0.map(String.init) ?? "none" }.joined(separator: ",")
            if let model, windows.given == nil {
                throw InputError(
                    source: "--causal", value: "off",
                    expected:
                        "on for --model \(model.name), whose sliding window (\(text)) is causal; or give --window none")
            }
            throw InputError(
                source: "--window", value: text,
                expected: "--window none with --causal off: a sliding window is causal (query i sees keys i−W < j ≤ i)")
        }
    }

    /// Shapes whose work cannot be counted in 64 bits are refused before anything is estimated.
    func validateSize() throws(InputError) {
        let largest = [
            Double(batches.max() ?? 1), Double(heads.given?.max() ?? 256), Double(headDimensions.given?.max() ?? 1024),
            Double(sequenceLengths.max() ?? 1),
            Double(queryLengths.map { $0.length(sequenceLength: sequenceLengths.max() ?? 1) }.max() ?? 1),
        ].reduce(1, *)
        if largest > 1e17 {
            throw InputError(
                source: "--seq-len", value: sequenceLengths.map(String.init).joined(separator: ","),
                expected: "a shape whose batch · heads · head_dim · seq_len_q · seq_len_kv is below 1e17")
        }
    }

    /// q8_0 is a K/V cache format only, and its 32-value blocks must tile every head dimension.
    func validateElementTypes() throws(InputError) {
        try Self.require(elementTypes.given.map { !$0.isEmpty } ?? true, "--dtype", "", "f32, bf16, f16 or model")
        try Self.require(!keyValueElementTypes.isEmpty, "--kv-dtype", "", "same, f32, bf16, f16 or q8_0")
        if let bad = elementTypes.given?.first(where: { !$0.isTensorType }) {
            throw InputError(
                source: "--dtype", value: bad.rawValue,
                expected: "f32, bf16 or f16 (q8_0 is a K/V cache format: give it as --kv-dtype q8_0)")
        }
        guard keyValueElementTypes.contains(.q8_0) else { return }
        for model in models.isEmpty ? [nil] : models.map(Optional.some) {
            for d in headDimensions.values(model?.headDimension) where !ElementType.q8_0.canStoreRows(of: d) {
                throw InputError(
                    source: "--kv-dtype", value: "q8_0",
                    expected:
                        "a head_dim that is a multiple of \(ElementType.q8BlockValues) (--head-dim \(d)"
                        + (model.map { " of --model \($0.name)" } ?? "") + " is not): choose another --kv-dtype")
            }
        }
    }

    /// K/V heads divide the query heads, for every model and head count.
    func validateGrouping() throws(InputError) {
        for model in models.isEmpty ? [nil] : models.map(Optional.some) {
            for h in heads.values(model?.heads) {
                for kv in keyValueHeads ?? [] where !AttentionProblem.isGrouping(heads: h, keyValueHeads: kv) {
                    throw InputError(
                        source: "--kv-heads", value: String(kv),
                        expected: "a divisor of the \(h) query heads (\(AttentionProblem.groupingChoices(heads: h)))")
                }
                if keyValueHeads == nil, let model,
                    !AttentionProblem.isGrouping(heads: h, keyValueHeads: model.keyValueHeads)
                {
                    throw InputError(
                        source: "--heads", value: String(h),
                        expected:
                            "a multiple of --model \(model.name)'s \(model.keyValueHeads) K/V heads, or give --kv-heads"
                    )
                }
            }
        }
    }

    /// Given key lengths: one per batch element, each within every sequence length.
    func validateKeyLengths() throws(InputError) {
        guard case .explicit(let values) = keyLengths else { return }
        let text = values.map(String.init).joined(separator: ",")
        if let b = batches.first(where: { $0 != values.count }) {
            throw InputError(
                source: "--key-lengths", value: text,
                expected: "one length per batch element (--batch \(b)), 'full' or 'ragged'")
        }
        if let negative = values.first(where: { $0 < 0 }) {
            throw InputError(source: "--key-lengths", value: String(negative), expected: "lengths ≥ 0")
        }
        if let shortest = sequenceLengths.min(), let too = values.first(where: { $0 > shortest }) {
            throw InputError(
                source: "--key-lengths", value: String(too),
                expected: "lengths of at most the sequence length \(shortest)")
        }
    }

    func validateTiming() throws(InputError) {
        if timing.warmupRepetitions < 0 {
            throw InputError(
                source: "--warmup", value: String(timing.warmupRepetitions), expected: "0 or more warm-up calls")
        }
        if timing.minimumRepetitions < 1 {
            throw InputError(
                source: "--repetitions", value: String(timing.minimumRepetitions),
                expected: "at least 1 timed repetition")
        }
        if !(timing.minimumSeconds >= 0) || !timing.minimumSeconds.isFinite {
            throw InputError(source: "--min-time", value: "\(timing.minimumSeconds)", expected: "seconds ≥ 0")
        }
        if !(1...Self.maximumProcesses).contains(processes) {
            throw InputError(
                source: "--processes", value: String(processes),
                expected: "1 to \(Self.maximumProcesses) worker processes per configuration")
        }
    }

    static func require(_ condition: Bool, _ flag: String, _ value: String, _ expected: String) throws(InputError) {
        if !condition { throw InputError(source: flag, value: value, expected: expected) }
    }

    static func positive(_ values: [Int], flag: String, example: String, allowEmpty: Bool = false) throws(InputError) {
        if values.isEmpty && !allowEmpty {
            throw InputError(source: flag, value: "", expected: "one or more values ≥ 1, e.g. \(example)")
        }
        if let bad = values.first(where: { $0 < 1 }) {
            throw InputError(source: flag, value: String(bad), expected: "values ≥ 1, e.g. \(example)")
        }
    }
}
