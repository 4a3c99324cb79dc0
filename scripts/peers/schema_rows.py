"""Peer rows in attnbench's own CSV schema (schema/columns.json), so `attnbench merge`, `compare` and
the plots take peers and attnbench's variants in one file. A peer row has kind `peer`, the peer's
name in `variant`, the runtime's version and the path it took in `message`, and the rise of the
child's peak resident set during its first call in `peak_memory_bytes`; columns a peer does not
measure are empty."""

import json
import os
import pathlib

SCHEMA_PATH = pathlib.Path(__file__).resolve().parents[2] / "schema" / "columns.json"


def schema():
    """(schema_version, column names) of attnbench's CSV."""
    document = json.loads(SCHEMA_PATH.read_text())
    return str(document["schema_version"]), [column["name"] for column in document["columns"]]


# Peer columns copied as they are into the attnbench column of the same meaning.
SAME_MEANING = {
    "model": "model", "batch": "batch", "heads": "heads", "kv_heads": "kv_heads", "seq_len_q": "seq_len_q",
    "seq_len": "seq_len_kv", "head_dim": "head_dim", "window": "window", "threads": "threads",
    "block_q": "block_q", "block_kv": "block_kv", "repetitions": "repetitions",
    "wall_time_median_s": "wall_time_median_s", "wall_time_min_s": "wall_time_min_s",
    "wall_time_p90_s": "wall_time_p90_s", "wall_time_max_s": "wall_time_max_s", "wall_time_mean_s": "wall_time_mean_s",
    "wall_time_iqr_s": "wall_time_iqr_s", "wall_times_s": "wall_times_s", "gflops": "gflops",
    "fma_peak_gflops": "fma_peak_gflops", "sgemm_peak_gflops": "sgemm_peak_gflops",
    "gemm_roofline_gflops": "gemm_roofline_gflops", "peak_efficiency": "peak_efficiency",
    "sgemm_efficiency": "sgemm_efficiency", "kv_bytes": "kv_bytes", "kv_read_gbps": "kv_read_gbps",
    "memory_read_gbps": "memory_read_gbps", "bandwidth_efficiency": "bandwidth_efficiency",
    "max_abs_error": "max_abs_error", "extra_peak_memory_bytes": "peak_memory_bytes", "cpu_model": "cpu_model",
    "date_utc": "date_utc",
}

# attnbench's statuses; a peer status outside them (a missing runtime, an unsupported shape, a failed
# call) is an error row whose message keeps the reason.
STATUSES = {"ok", "incorrect", "oom", "timeout", "crashed", "error"}

# attnbench's threshold for `noisy`: the interquartile range over the median (TimingStatistics).
NOISE_THRESHOLD = 0.10


def variant_types(variant):
    """(dtype, kv_dtype) named by a variant's suffixes: 'fused-bf16' → (bf16, bf16), 'flash-attn-kv-q8_0' →
    (f32, q8_0), 'fused-f16-kv-q8_0' → (f16, q8_0); no suffix → (f32, f32)."""
    names = {"f32": "f32", "fp32": "f32", "bf16": "bf16", "f16": "f16", "q8_0": "q8_0"}
    head, _, cache = variant.partition("-kv-")
    tensors = next((names[part] for part in reversed(head.split("-")) if part in names), "f32")
    cache = names.get(cache.split("-")[0], tensors) if cache else tensors
    return tensors, cache


def attnbench_row(peer, seed="", warmup="", min_repetitions="", min_time=""):
    """One peer row (a dict of peers.constants.COLUMNS) as a dict of attnbench's columns."""
    version, columns = schema()
    row = {name: "" for name in columns}
    row.update(schema_version=version, kind="peer", variant=f"{peer['framework']}-{peer['variant']}")
    for source, target in SAME_MEANING.items():
        value = peer.get(source, "")
        row[target] = "" if value is None else str(value)
    row["kv_heads"] = row["kv_heads"] or row["heads"]
    row["seq_len_kv"] = str(peer.get("seq_len", ""))
    row["seq_len_q"] = row["seq_len_q"] or row["seq_len_kv"]
    row["causal"] = "true" if str(peer.get("causal", "")).lower() in ("true", "on", "1") else "false"
    # The element types a peer's variant name carries (-bf16, -f16, -kv-q8_0, ...); fp32 otherwise.
    row["dtype"], row["kv_dtype"] = variant_types(str(peer.get("variant", "")))
    try:
        ratio = float(row["wall_time_iqr_s"]) / float(row["wall_time_median_s"])
        row["wall_time_iqr_over_median"] = f"{ratio:.4g}"
        row["noisy"] = "true" if ratio > NOISE_THRESHOLD else "false"
    except (ValueError, ZeroDivisionError):
        pass
    if row["repetitions"]:  # one child process measured it: its median is the one process median
        row.update(warmup=str(warmup), min_repetitions=str(min_repetitions), min_time_s=str(min_time),
                   process_medians_s=row["wall_time_median_s"])
    row["block_auto"] = ""
    row["blas_core_requested"] = "env"
    status = str(peer.get("status", ""))
    row["status"] = status if status in STATUSES else "error"
    described = [f"{peer['framework']} {peer.get('framework_version', '')}".strip(), str(peer.get("path", ""))]
    if row["status"] != status:
        described.append(status)
    row["message"] = "; ".join(part for part in described if part)
    row["seed"] = str(seed)
    row["cpu_cores"] = str(len(os.sched_getaffinity(0)))
    return row
