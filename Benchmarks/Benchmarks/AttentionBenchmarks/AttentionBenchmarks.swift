import AttentionKernels
import Benchmark

// One benchmark per kernel at fixed shapes. Names are stable ("<variant> <shape>"); the
// parameters are also tags. Setup (tensor allocation, random fill) happens outside the measured
// region; the output tensor is passed to blackHole. Thresholds sit beside each benchmark:
// loose for wall clock (a shared 2-core machine is noisy), strict for malloc counts (a kernel
// that starts allocating in its hot loop is a real regression).

struct Shape {
    let name: String
    let batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDimension: Int
    let causal: Bool
    let threads: Int
    var keyValueHeads: Int? = nil
    /// Storage of Q and O, and of K and V (nil: as Q).
    var elementType: ElementType = .f32
    var keyValueElementType: ElementType? = nil

    /// This shape with other storage types, its name followed by `suffix`.
    func stored(as type: ElementType, keyValue: ElementType? = nil, suffix: String) -> Shape {
        Shape(
            name: name + suffix, batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength,
            headDimension: headDimension, causal: causal, threads: threads, keyValueHeads: keyValueHeads,
            elementType: type, keyValueElementType: keyValue)
    }
}

/// The shapes the fused kernel is held to against the other CPU runtimes (scripts/frameworks.py):
/// B1 H8 N4096 at d 64 and 128, with and without the causal mask; Llama 3 8B (32 query heads on 8
/// K/V heads, d 128) causal prefill over 2048 tokens and decode over 16k keys at batch 1 and 8;
/// and decode of 32 heads over 64k keys. One and two threads.
let fusedShapes: [Shape] = {
    var shapes: [Shape] = []
    for threads in [1, 2] {
        for d in [64, 128] {
            for causal in [false, true] {
                shapes.append(
                    Shape(
                        name: "B1-H8-N4096-d\(d)\(causal ? "-causal" : "")-t\(threads)", batch: 1, heads: 8,
                        queryLength: 4096, keyLength: 4096, headDimension: d, causal: causal, threads: threads))
            }
        }
        shapes.append(
            Shape(
                name: "llama-3-8b-prefill-N2048-t\(threads)", batch: 1, heads: 32, queryLength: 2048,
                keyLength: 2048, headDimension: 128, causal: true, threads: threads, keyValueHeads: 8))
        for batch in [1, 8] {
            shapes.append(
                Shape(
                    name: "llama-3-8b-decode-B\(batch)-N16k-t\(threads)", batch: batch, heads: 32, queryLength: 1,
                    keyLength: 16384, headDimension: 128, causal: true, threads: threads, keyValueHeads: 8))
        }
        shapes.append(
            Shape(
                name: "B1-H32-Q1-N64k-d128-t\(threads)", batch: 1, heads: 32, queryLength: 1, keyLength: 65536,
                headDimension: 128, causal: false, threads: threads))
    }
    return shapes
}()

/// The element-type shapes, each the fp32 twin in `fusedShapes` in another type: bf16 prefill at
/// B1 H8 N4096 (fused with bf16 products where the CPU has AVX512_BF16, flash2 widening for
/// cblas_sgemm), and Llama 3 8B decode over 16k keys with the K/V cache in fp16 and q8_0.
let typedShapes: [Shape] = fusedShapes.flatMap { shape -> [Shape] in
    if shape.heads == 8 && shape.queryLength == 4096 {
        return [shape.stored(as: .bf16, suffix: "-bf16")]
    }
    if shape.keyValueHeads == 8 && shape.queryLength == 1 {
        return [ElementType.f16, .q8_0].map { shape.stored(as: .f32, keyValue: $0, suffix: "-kv-\($0.rawValue)") }
    }
    return []
}

let shapes: [AttentionVariant: [Shape]] = {
    let prefill = [
        Shape(
            name: "B1-H8-N1024-d64", batch: 1, heads: 8, queryLength: 1024, keyLength: 1024, headDimension: 64,
            causal: false, threads: 1),
        Shape(
            name: "B1-H8-N1024-d64-causal", batch: 1, heads: 8, queryLength: 1024, keyLength: 1024, headDimension: 64,
            causal: true, threads: 1),
    ]
    let decode = [
        Shape(
            name: "B1-H8-Q1-N16k-d128", batch: 1, heads: 8, queryLength: 1, keyLength: 16384, headDimension: 128,
            causal: false, threads: 1)
    ]
    return [
        .naive: prefill, .chunked: prefill, .flash1: prefill,
        .flash2: prefill + decode + typedShapes.filter { $0.elementType == .bf16 && $0.threads == 1 },
        .decode: decode, .fused: prefill + decode + fusedShapes + typedShapes,
    ]
}()

let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p50: 25.0]),
        .mallocCountTotal: .init(absolute: [.p50: 2]),
    ]
    for variant in AttentionVariant.allCases {
        for shape in shapes[variant] ?? [] {
            let problem = try! AttentionProblem(
                batch: shape.batch, heads: shape.heads, queryLength: shape.queryLength, keyLength: shape.keyLength,
                headDimension: shape.headDimension, causal: shape.causal, keyValueHeads: shape.keyValueHeads,
                elementType: shape.elementType, keyValueElementType: shape.keyValueElementType)
            // The automatic rule, as sweep, maxlen and eval use it.
            let blocks = BlockSizes.automatic(
                queryLength: shape.queryLength, keyLength: shape.keyLength,
                headDimension: shape.headDimension)
            let kernel = try! variant.makeKernel(blockSizes: variant.isBlocked ? blocks : nil)
            let q = AttentionTensor(
                batch: shape.batch, heads: shape.heads, sequenceLength: shape.queryLength,
                headDimension: shape.headDimension, elementType: problem.elementType)
            let k = AttentionTensor(
                batch: shape.batch, heads: problem.keyValueHeads, sequenceLength: shape.keyLength,
                headDimension: shape.headDimension, elementType: problem.keyValueElementType)
            let v = AttentionTensor(
                batch: shape.batch, heads: problem.keyValueHeads, sequenceLength: shape.keyLength,
                headDimension: shape.headDimension, elementType: problem.keyValueElementType)
            let o = AttentionTensor(
                batch: shape.batch, heads: shape.heads, sequenceLength: shape.queryLength,
                headDimension: shape.headDimension, elementType: problem.elementType)
            q.fillRandom(seed: 1)
            k.fillRandom(seed: 2)
            v.fillRandom(seed: 3)
            Benchmark(
                "\(variant.rawValue) \(shape.name)",
                configuration: .init(
                    metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                    tags: [
                        "variant": variant.rawValue, "batch": "\(shape.batch)", "heads": "\(shape.heads)",
                        "kv_heads": "\(problem.keyValueHeads)",
                        "seq_len_q": "\(shape.queryLength)", "seq_len_kv": "\(shape.keyLength)",
                        "head_dim": "\(shape.headDimension)", "causal": "\(shape.causal)",
                        "block_q": "\(blocks.query)", "block_kv": "\(blocks.key)", "threads": "\(shape.threads)",
                        "dtype": problem.elementType.rawValue, "kv_dtype": problem.keyValueElementType.rawValue,
                    ],
                    warmupIterations: 2,
                    maxDuration: .seconds(2),
                    maxIterations: 50,
                    thresholds: thresholds
                )
            ) { benchmark in
                for _ in benchmark.scaledIterations {
                    kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: shape.threads)
                    blackHole(o)
                }
            }
        }
    }
}
