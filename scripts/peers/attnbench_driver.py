"""attnbench's own rows for the same shapes, and the ceilings they carry for the peers' rows."""

import csv
import io
import statistics
import subprocess

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403


# ---- attnbench rows and ceilings -------------------------------------------------------------

def first_present(row, *names):
    """The first non-empty value among names (new schema name first, then the old one), or ''."""
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return ""


def ceilings(attnbench_rows):
    """Ceilings at the rows' thread count from attnbench CSV rows (schema 2; schema 1 had only
    the roofline, as sgemm_gflops), and the memory-read bandwidth its decode rows sample: the
    median over rows that give each."""
    result = {}
    for column, names in (("fma_peak_gflops", ("fma_peak_gflops",)),
                          ("sgemm_peak_gflops", ("sgemm_peak_gflops",)),
                          ("gemm_roofline_gflops", ("gemm_roofline_gflops", "sgemm_gflops")),
                          ("memory_read_gbps", ("memory_read_gbps",))):
        values = []
        for row in attnbench_rows:
            try:
                values.append(float(first_present(row, *names)))
            except ValueError:
                pass
        result[column] = f"{statistics.median(values):.4g}" if values else ""
    return result


def with_efficiencies(row, limits):
    """row with the ceilings and gflops (kv_read_gbps) / each peak filled in (empty where either is missing)."""
    row = dict(row, **limits)
    for column, rate, peak in (("peak_efficiency", "gflops", "fma_peak_gflops"),
                               ("sgemm_efficiency", "gflops", "sgemm_peak_gflops"),
                               ("bandwidth_efficiency", "kv_read_gbps", "memory_read_gbps")):
        try:
            row[column] = f"{float(row[rate]) / float(limits[peak]):.4g}"
        except (KeyError, ValueError, ZeroDivisionError):
            row[column] = ""
    return row


# attnbench's variants measured beside the peers: the materialised baseline, its BLAS-composed flash
# attention and its fused kernel, and its decode kernel at decode shapes (Nq <= decode_max_query_length).
ATTNBENCH_VARIANTS = "naive,flash2,fused"


def attnbench_variants(shape):
    return ATTNBENCH_VARIANTS + (",decode" if shape.seq_len_q <= DECODE_MAX_QUERY_LENGTH else "")


# The element types attnbench runs beside the peers by default: the peers' own (fp32, bf16 and f16
# tensors; ggml's K/V caches in f16 and q8_0 under fp32 queries), so each type is compared with the
# same work.
ATTNBENCH_DTYPES = "f32,bf16,f16"
ATTNBENCH_KV_DTYPES = "same,f16,q8_0"


def attnbench_command(binary, shape, threads, repetitions, dtypes="f32", kv_dtypes="same"):
    """attnbench sweep on `shape`: every dimension explicit (they override a --model preset, which is
    passed so that its rows carry the model's name); `dtypes`/`kv_dtypes` as --dtype/--kv-dtype."""
    types = [] if (dtypes, kv_dtypes) == ("f32", "same") else ["--dtype", dtypes, "--kv-dtype", kv_dtypes]
    command = [binary, "sweep", "--variants", attnbench_variants(shape), "--batch", str(shape.batch),
               "--heads", str(shape.heads), "--kv-heads", str(shape.kv_heads), "--seq-len", str(shape.seq_len),
               "--query-len", str(shape.seq_len_q), "--head-dim", str(shape.head_dim),
               "--window", "none" if shape.window is None else str(shape.window),
               "--threads", str(threads), "--causal", "on" if shape.causal else "off",
               "--repetitions", str(repetitions), "--min-time", "0"]
    return command + types + (["--model", shape.model] if shape.model else [])


def attnbench_rows(binary, shape, threads, repetitions, dtypes="f32", kv_dtypes="same"):
    process = subprocess.run(attnbench_command(binary, shape, threads, repetitions, dtypes, kv_dtypes),
                             capture_output=True, text=True)
    if process.returncode not in (0, 3):
        raise RuntimeError(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "attnbench failed")
    return list(csv.DictReader(io.StringIO(process.stdout)))


# attnbench columns an output row takes as they are.
ATTNBENCH_COPIED = ("repetitions", "wall_time_median_s", "wall_time_min_s", "wall_time_p90_s", "wall_time_max_s",
                    "wall_time_mean_s", "wall_time_iqr_s", "gflops", "kv_bytes", "kv_read_gbps", "max_abs_error",
                    "wall_times_s")


def type_suffix(a):
    """'', '-bf16', '-kv-q8_0', '-bf16-kv-q8_0': the peers' way of naming a variant's element types."""
    tensors = a.get("dtype") or "f32"
    cache = a.get("kv_dtype") or tensors
    return ("" if tensors == "f32" else f"-{tensors}") + ("" if cache == tensors else f"-kv-{cache}")


def attnbench_output_row(a, base):
    """One output row from one attnbench CSV row (either schema); the variant names its types."""
    return dict(base, framework="attnbench", framework_version=a.get("attnbench_version", ""),
                variant=a["variant"] + type_suffix(a), causal=a["causal"], framework_threads=a.get("threads", ""),
                block_q=a.get("block_q", ""), block_kv=a.get("block_kv", ""), status=a.get("status", ""),
                **{column: a.get(column, "") for column in ATTNBENCH_COPIED})
