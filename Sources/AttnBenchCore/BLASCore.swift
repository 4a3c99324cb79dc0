/// The OpenBLAS kernel set a configuration runs: whatever the environment selects, or a named
/// core, set as OPENBLAS_CORETYPE for that configuration's worker processes alone.
public enum BLASCore: Sendable, Hashable {
    /// What the environment selects (the `env` of `--blas-core` and `blas_core_requested`).
    case inherited
    /// One of `knownNames`.
    case named(String)

    /// OPENBLAS_CORETYPE values of a DYNAMIC_ARCH x86-64 OpenBLAS (0.3.x).
    public static let knownNames = [
        "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge", "Haswell", "SkylakeX", "Cooperlake",
        "SapphireRapids", "Atom", "Athlon", "Opteron", "Barcelona", "Bobcat", "Bulldozer", "Piledriver",
        "Steamroller", "Excavator", "Zen",
    ]

    /// `env` or a known core name in any case; nil for anything else.
    public init?(name: String) {
        if name == "env" {
            self = .inherited
        } else if let known = Self.knownNames.first(where: { $0.lowercased() == name.lowercased() }) {
            self = .named(known)
        } else {
            return nil
        }
    }

    /// The CSV's and the command line's spelling: `env` or the core name.
    public var name: String {
        switch self {
        case .inherited: return "env"
        case .named(let name): return name
        }
    }

    /// The OPENBLAS_CORETYPE a worker is started with, or nil to leave the environment alone.
    public var coreTypeVariable: String? {
        if case .named(let name) = self { return name }
        return nil
    }
}

extension BLASCore: Codable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let core = BLASCore(name: name) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "unknown BLAS core \(name)"))
        }
        self = core
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
