// swift-tools-version:6.1
import PackageDescription

// Release builds target the CPU they are built on: SwiftPM's default x86-64 baseline is SSE2-only,
// which leaves the SIMD16<Float> softmax loops 10-20x slower than with AVX2/AVX-512 and FMA.
let hostTuned: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release)),
]

let package = Package(
    name: "attnbench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "attnbench", targets: ["attnbench"]),
        .library(name: "AttentionKernels", targets: ["AttentionKernels"]),
        .library(name: "AttnBenchCore", targets: ["AttnBenchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "AttentionKernels",
            dependencies: ["COpenBLAS"],
            swiftSettings: hostTuned
        ),
        .target(name: "CSystemShims"),
        .target(
            name: "AttnBenchCore",
            dependencies: ["AttentionKernels", "CSystemShims"],
            swiftSettings: hostTuned
        ),
        .target(
            name: "AttnBenchCLI",
            dependencies: [
                "AttnBenchCore",
                "AttentionKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hostTuned
        ),
        .executableTarget(
            name: "attnbench",
            dependencies: ["AttnBenchCLI"],
            swiftSettings: hostTuned
        ),
        .testTarget(
            name: "AttentionKernelsTests",
            dependencies: ["AttentionKernels"]
        ),
        .testTarget(
            name: "AttnBenchCoreTests",
            dependencies: ["AttnBenchCore", "AttentionKernels"]
        ),
        .testTarget(
            name: "AttnBenchCLITests",
            dependencies: ["AttnBenchCLI", "AttnBenchCore"]
        ),
        .executableTarget(
            name: "AttentionBenchmarks",
            dependencies: [
                "AttentionKernels",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AttentionBenchmarks",
            swiftSettings: hostTuned,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
