// swift-tools-version:6.1
import PackageDescription

// Release builds target the CPU they are built on: SwiftPM's default x86-64 baseline is SSE2-only,
// which leaves the SIMD softmax loops and the fused kernel's micro-kernels 10-20x slower than with
// AVX2/AVX-512 and FMA. Checks stay on (-O, not -Ounchecked): a precondition on a kernel's shapes
// or a BLAS size is part of what makes a number trustworthy.
let hostTuned: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))
]

// Linux on x86-64 and arm64, with OpenBLAS from the distribution (libopenblas-dev).
let package = Package(
    name: "attnbench",
    products: [
        .executable(name: "attnbench", targets: ["attnbench"]),
        .library(name: "AttentionKernels", targets: ["AttentionKernels"]),
        .library(name: "AttnBenchCore", targets: ["AttnBenchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "AttentionKernels",
            dependencies: ["COpenBLAS", "CSystemShims", "CMicroKernels"],
            swiftSettings: hostTuned
        ),
        .target(name: "CSystemShims"),
        // Intrinsics kernels: one version per instruction set (target attributes), the caller
        // picks the one the CPU supports at run time.
        .target(name: "CMicroKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "AttnBenchCore",
            dependencies: ["AttentionKernels", "CSystemShims", "CMicroKernels"],
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
            dependencies: [
                "AttentionKernels",
                "CMicroKernels",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "AttnBenchCoreTests",
            dependencies: ["AttnBenchCore", "AttentionKernels"]
        ),
        .testTarget(
            name: "AttnBenchCLITests",
            dependencies: ["AttnBenchCLI", "AttnBenchCore", "AttentionKernels"]
        ),
    ]
)
