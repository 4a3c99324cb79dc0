"""The columns a peer row has, the peers in the order they run, the numbers shared with attnbench
(read from schema/constants.json, whose one source is attnbench's AttnBenchConstants), and the error
tolerance of a peer that computes in a type narrower than fp32."""


import json
import pathlib

COLUMNS = [
    "round", "framework", "framework_version", "variant", "batch", "heads", "seq_len", "head_dim",
    "causal", "threads", "framework_threads", "devices", "block_q", "block_kv", "block_search", "repetitions",
    "wall_time_median_s", "wall_time_min_s", "cpu_per_wall", "gflops", "fma_peak_gflops", "sgemm_peak_gflops",
    "gemm_roofline_gflops", "peak_efficiency", "sgemm_efficiency", "max_abs_error", "status",
    "extra_peak_memory_bytes", "path", "cpu_model", "date_utc",
]

# (framework, variant) of every peer, in the order they run; the peer's name is framework-variant.
PEERS = [
    ("pytorch", "sdpa-flash"), ("pytorch", "sdpa-math"), ("pytorch", "sdpa-default"),
    ("pytorch", "sdpa-flash-bf16"), ("pytorch", "sdpa-flash-f16"), ("pytorch", "sdpa-default-bf16"),
    ("pytorch", "sdpa-default-f16"),
    ("jax", "flash-tiled"), ("jax", "flash-wholequery"), ("jax", "dot-product-attention"),
    ("jax", "plain"),
    ("openvino", "sdpa-f32"), ("openvino", "sdpa-bf16"), ("openvino", "sdpa-f16"),
    ("onnxruntime", "mha"), ("onnxruntime", "mha-f16"), ("onnxruntime", "attention23"),
    ("onnxruntime", "attention23-f16"),
    ("ggml", "flash-attn-kv-f16"), ("ggml", "flash-attn-kv-f32"),
]
PEER_NAMES = [f"{framework}-{variant}" for framework, variant in PEERS]
FRAMEWORKS = list(dict.fromkeys(framework for framework, _ in PEERS))

# attnbench's constants, from their one home (AttnBenchConstants, written to schema/constants.json).
CONSTANTS = json.loads((pathlib.Path(__file__).resolve().parents[2] / "schema" / "constants.json").read_text())
ERROR_TOLERANCE = CONSTANTS["correctness_tolerance"]
DECODE_MAX_QUERY_LENGTH = CONSTANTS["decode_max_query_length"]
FLOPS_PER_VISIBLE_SCORE = CONSTANTS["flops_per_visible_score"]

# Unit roundoff u = 2^-p of each type a peer may compute in (p: significand bits, the implicit one included).
UNIT_ROUNDOFF = {"f32": 2.0 ** -24, "bf16": 2.0 ** -8, "f16": 2.0 ** -11}


def error_tolerance(precision="f32"):
    """Largest max_abs_error a peer computing in `precision` may have: attnbench's tolerance for fp32,
    4u for bf16 and f16 (2^-6 and 2^-9). A narrow run is checked against float64 on its inputs rounded
    to that type (rounded_inputs), so the rounding of Q, K and V is not counted. What remains is
    bounded by a few u: each output is a softmax-weighted mean of rows of V, all in [-1, 1], so
    |o| <= 1 and its absolute error is at most its relative error; rounding the output costs u;
    rounding the probabilities before they multiply V costs at most u (their weights sum to 1);
    rounding a score s costs each weight |s|u relatively, and the seeded scores q.k/sqrt(d) have
    standard deviation 1/3 (uniform inputs), so well under u on average; sums accumulate in fp32.
    4u keeps a margin over these worst cases. It is a bound, not an expectation: the roundings
    mostly cancel, and at N = 4096 the bf16 runs are off by about 1e-4 while the outputs of the
    long rows are only a few hundredths in size, so this check fails a kernel that is badly wrong
    (all of row 0 of a causal run is v[0], of size 1) but not one that is subtly wrong. The fp32
    run of the same runtime, held to 1e-4, is the check of its algorithm."""
    return ERROR_TOLERANCE if precision == "f32" else 4 * UNIT_ROUNDOFF[precision]
