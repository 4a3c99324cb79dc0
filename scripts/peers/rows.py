"""A peer measurement as an output row: its time statistics (attnbench's: type-7 quantiles, every
sample kept), its rates (useful GFLOP/s, K/V bytes read per second) and its status."""

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403


def quantile(sorted_values, q):
    """Quantile q of sorted values, linear interpolation between order statistics (NumPy's default,
    attnbench's TimingStatistics)."""
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def seconds(x):
    return f"{x:.6g}"


def timing_columns(times):
    """The time columns of a row from its samples (seconds)."""
    ordered = sorted(times)
    return {"repetitions": len(times), "wall_time_median_s": seconds(quantile(ordered, 0.5)),
            "wall_time_min_s": seconds(ordered[0]), "wall_time_p90_s": seconds(quantile(ordered, 0.9)),
            "wall_time_max_s": seconds(ordered[-1]), "wall_time_mean_s": seconds(sum(ordered) / len(ordered)),
            "wall_time_iqr_s": seconds(quantile(ordered, 0.75) - quantile(ordered, 0.25)),
            "wall_times_s": " ".join(seconds(t) for t in times)}


def base_row(round_index, shape, threads, cpu_model, date):
    """The columns every row of one (round, shape, threads) shares."""
    return {"round": round_index, "model": shape.model, "batch": shape.batch, "heads": shape.heads,
            "kv_heads": shape.kv_heads, "seq_len_q": shape.seq_len_q, "seq_len": shape.seq_len,
            "head_dim": shape.head_dim, "causal": str(shape.causal).lower(),
            "window": "" if shape.window is None else shape.window, "threads": threads,
            "cpu_model": cpu_model, "date_utc": date}


def status_row(base, framework, variant, status, version=""):
    """The row of a peer that did not measure the shape: `unsupported: …`, `missing: PACKAGE`, `error: …`."""
    return dict(base, framework=framework, variant=variant, framework_version=version, status=status)


def peer_row(base, framework, variant, r, shape):
    """The row of one child measurement `r` (child.child's result) on `shape`."""
    row = dict(base, framework=framework, variant=variant, framework_version=r["framework_version"],
               framework_threads=r["framework_threads"], devices=r["devices"] if framework == "jax" else "",
               block_q=r["block_q"] or "", block_kv=r["block_kv"] or "", block_search=r["block_search"],
               cpu_per_wall=f"{r['cpu_per_wall']:.3g}", max_abs_error=f"{r['max_abs_error']:.3g}",
               extra_peak_memory_bytes="" if r["extra_peak_memory_bytes"] is None else r["extra_peak_memory_bytes"],
               path=r["path"], status=r["status"], **timing_columns(r["times"]))
    median = quantile(sorted(r["times"]), 0.5)
    kv_bytes = shape.kv_bytes(r["kv_element_bytes"])
    row.update(gflops=f"{shape.useful_flops() / median / 1e9:.4g}", kv_bytes=kv_bytes,
               kv_read_gbps=f"{kv_bytes / median / 1e9:.4g}")
    return row
