"""The columns a peer row has, the peers in the order they run, the numbers shared with attnbench
(read from schema/constants.json, whose one source is attnbench's AttnBenchConstants), and the error
tolerance of a peer that computes in a type narrower than fp32."""


import json
import pathlib

COLUMNS = [
    "round", "framework", "framework_version", "variant", "model", "batch", "heads", "kv_heads", "seq_len_q",
    "seq_len", "head_dim", "causal", "window", "threads", "framework_threads", "devices", "block_q", "block_kv",
    "block_search", "repetitions", "wall_time_median_s", "wall_time_min_s", "wall_time_p90_s", "wall_time_max_s",
    "wall_time_mean_s", "wall_time_iqr_s", "cpu_per_wall", "gflops", "kv_bytes", "kv_read_gbps", "fma_peak_gflops",
    "sgemm_peak_gflops", "gemm_roofline_gflops", "memory_read_gbps", "peak_efficiency", "sgemm_efficiency",
    "bandwidth_efficiency", "max_abs_error", "status", "extra_peak_memory_bytes", "path", "wall_times_s",
    "cpu_model", "date_utc",
]

# (framework, variant) of every peer, in the order they run; the peer's name is framework-variant.
PEERS = [
    ("pytorch", "sdpa-flash"), ("pytorch", "sdpa-math"), ("pytorch", "sdpa-default"),
    ("pytorch", "sdpa-flash-bf16"), ("pytorch", "sdpa-flash-f16"), ("pytorch", "sdpa-default-bf16"),
    ("pytorch", "sdpa-default-f16"),
    ("jax", "flash-tiled"), ("jax", "flash-wholequery"), ("jax", "dot-product-attention"),
    ("jax", "plain"), ("jax", "flash-tiled-bf16"), ("jax", "dot-product-attention-bf16"), ("jax", "plain-bf16"),
    ("openvino", "sdpa-f32"), ("openvino", "sdpa-bf16"), ("openvino", "sdpa-f16"),
    ("onnxruntime", "mha"), ("onnxruntime", "mha-f16"), ("onnxruntime", "attention23"),
    ("onnxruntime", "attention23-f16"), ("onnxruntime", "gqa"), ("onnxruntime", "gqa-f16"),
    ("ggml", "flash-attn-kv-f16"), ("ggml", "flash-attn-kv-f32"), ("ggml", "flash-attn-kv-q8_0"),
    ("ggml", "flash-attn-kv-bf16"),
]
PEER_NAMES = [f"{framework}-{variant}" for framework, variant in PEERS]
PRECISIONS = ["f32", "bf16", "f16", "q8_0"]


def peer_precision(name):
    """The type a peer computes in (or stores K/V in), from its name: bf16, f16, q8_0 or f32."""
    for precision in ("bf16", "q8_0", "f16"):
        if name.endswith("-" + precision):
            return precision
    return "f32"

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
    4u for bf16 and f16 (2^-6 and 2^-9), and the f16 one for ggml's q8_0 K/V. A narrow run is checked
    against float64 on its inputs rounded to that type (rounded_inputs), so the rounding of Q, K and V
    is not counted. What remains is bounded by a few u: each output is a softmax-weighted mean of rows
    of V, all in [-1, 1], so |o| <= 1 and its absolute error is at most its relative error; rounding
    the output costs u; rounding the probabilities before they multiply V costs at most u (their
    weights sum to 1); rounding a score s costs each weight |s|u relatively, and the seeded scores
    q.k/sqrt(d) have standard deviation 1/3 (uniform inputs), so well under u on average; sums
    accumulate in fp32. 4u keeps a margin over these worst cases. It is a bound, not an expectation:
    the roundings mostly cancel, and at N = 4096 the bf16 runs are off by about 1e-4 while the
    outputs of the long rows are only a few hundredths in size, so this check fails a kernel that is
    badly wrong (all of row 0 of a causal run is v[0], of size 1) but not one that is subtly wrong.
    The fp32 run of the same runtime, held to 1e-4, is the check of its algorithm.

    q8_0 (ggml's K/V in blocks of 32 along head_dim, an fp16 scale and int8 codes): the reference
    reads the dequantised K and V, and Q quantised the same way, because ggml's CPU flash attention
    converts Q to the vec_dot type of K, which for q8_0 is q8_0 itself; the dot product of two
    q8_0 blocks is an exact integer sum times the two fp16 scales, V is dequantised to fp32 and
    accumulated in fp32 (only fp16 V is accumulated in fp16). So the arithmetic left is fp32
    (measured: about 1e-7 at N = 600). What is not reproduced is ggml's SIMD rounding of Q's codes:
    its x·(127/max) can land on the other side of a half than the reference's x/(max/127) (7 codes
    in 2^21 uniform inputs). One code off by one moves one score by at most (max/127)·|k|/sqrt(d)
    <= 1/(127·sqrt(32)) = 1.4e-3 (d >= 32: q8_0 needs whole blocks) and an output by at most half
    of that (∂o/∂s_j = w_j(v_j − o), and w_j|v_j − o| <= 2w_j(1 − w_j) <= 1/2): under 7e-4, so a
    tolerance of 4u of fp16, 2^-9, admits a few such codes and nothing that is wrong by a whole
    key."""
    if precision == "q8_0":
        return 4 * UNIT_ROUNDOFF["f16"]
    return ERROR_TOLERANCE if precision == "f32" else 4 * UNIT_ROUNDOFF[precision]


class Unsupported(ValueError):
    """A peer that cannot run a shape (a mask it cannot take, a type it refuses): its row is written
    with status `unsupported: <the message>`."""
