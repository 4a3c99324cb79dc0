// swift-tools-version:6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which is "attnbench" only in a clone under
// that name (a CI worktree of the base commit, or a clone called anything else, differs).
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

// The kernels' micro-benchmarks (ordo-one/package-benchmark), a package of their own so that
// building attnbench never resolves the benchmark harness. Run from this folder:
//   swift package benchmark                       # all benchmarks
//   swift package benchmark baseline update main  # record a baseline
//   swift package benchmark baseline check main   # exit non-zero when a threshold is exceeded
let package = Package(
    name: "attnbench-benchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AttentionBenchmarks",
            dependencies: [
                .product(name: "AttentionKernels", package: rootPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AttentionBenchmarks",
            swiftSettings: [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
