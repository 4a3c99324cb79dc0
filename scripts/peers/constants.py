"""The columns a peer row has, the peers in the order they run, and the numbers shared with attnbench
(read from schema/constants.json, whose one source is attnbench's AttnBenchConstants)."""


import json
import pathlib

COLUMNS = [
    "round", "framework", "framework_version", "variant", "batch", "heads", "seq_len", "head_dim",
    "causal", "threads", "framework_threads", "devices", "block_q", "block_kv", "block_search", "repetitions",
    "wall_time_median_s", "wall_time_min_s", "cpu_per_wall", "gflops", "fma_peak_gflops", "sgemm_peak_gflops",
    "gemm_roofline_gflops", "peak_efficiency", "sgemm_efficiency", "max_abs_error", "status",
    "cpu_model", "date_utc",
]

# (framework, variant) of every peer, in the order they run; the peer's name is framework-variant.
PEERS = [
    ("pytorch", "sdpa-flash"), ("pytorch", "sdpa-math"), ("pytorch", "sdpa-default"),
    ("jax", "flash-tiled"), ("jax", "flash-wholequery"), ("jax", "dot-product-attention"),
    ("jax", "plain"),
]
PEER_NAMES = [f"{framework}-{variant}" for framework, variant in PEERS]

# attnbench's constants, from their one home (AttnBenchConstants, written to schema/constants.json).
CONSTANTS = json.loads((pathlib.Path(__file__).resolve().parents[2] / "schema" / "constants.json").read_text())
ERROR_TOLERANCE = CONSTANTS["correctness_tolerance"]
DECODE_MAX_QUERY_LENGTH = CONSTANTS["decode_max_query_length"]
FLOPS_PER_VISIBLE_SCORE = CONSTANTS["flops_per_visible_score"]
