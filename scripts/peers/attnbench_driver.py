"""attnbench's own rows for the same shapes, and the ceilings they carry for the peers' rows."""

import csv
import io
import statistics
import subprocess

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .child import *  # noqa: F401,F403


# ---- attnbench rows and ceilings -------------------------------------------------------------

def first_present(row, *names):
    """The first non-empty value among names (new schema name first, then the old one), or ''."""
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return ""


def ceilings(attnbench_rows):
    """Ceilings at the rows' thread count from attnbench CSV rows (schema 2; schema 1 had only
    the roofline, as sgemm_gflops): the median over rows that give each."""
    result = {}
    for column, names in (("fma_peak_gflops", ("fma_peak_gflops",)),
                          ("sgemm_peak_gflops", ("sgemm_peak_gflops",)),
                          ("gemm_roofline_gflops", ("gemm_roofline_gflops", "sgemm_gflops"))):
        values = []
        for row in attnbench_rows:
            try:
                values.append(float(first_present(row, *names)))
            except ValueError:
                pass
        result[column] = f"{statistics.median(values):.4g}" if values else ""
    return result


def with_efficiencies(row, limits):
    """row with the ceilings and gflops / each peak filled in (empty where either is missing)."""
    row = dict(row, **limits)
    for column, peak in (("peak_efficiency", "fma_peak_gflops"), ("sgemm_efficiency", "sgemm_peak_gflops")):
        try:
            row[column] = f"{float(row['gflops']) / float(limits[peak]):.4g}"
        except (KeyError, ValueError, ZeroDivisionError):
            row[column] = ""
    return row


# attnbench's variants measured beside the peers: the materialised baseline, its BLAS-composed flash
# attention and its fused kernel.
ATTNBENCH_VARIANTS = "naive,flash2,fused"


def attnbench_rows(binary, shape, threads, causal, repetitions):
    command = [binary, "sweep", "--variants", ATTNBENCH_VARIANTS, "--batch", str(shape["batch"]),
               "--heads", str(shape["heads"]), "--seq-len", str(shape["seq_len"]), "--head-dim",
               str(shape["head_dim"]), "--threads", str(threads), "--causal", "on" if causal else "off",
               "--repetitions", str(repetitions), "--min-time", "0"]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode not in (0, 3):
        raise RuntimeError(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "attnbench failed")
    return list(csv.DictReader(io.StringIO(process.stdout)))


def attnbench_output_row(a, base):
    """One output row from one attnbench CSV row (either schema)."""
    return dict(base, framework="attnbench", framework_version=a.get("attnbench_version", ""),
                variant=a["variant"], causal=a["causal"], framework_threads=a.get("threads", ""),
                block_q=a.get("block_q", ""), block_kv=a.get("block_kv", ""),
                repetitions=a["repetitions"], wall_time_median_s=a["wall_time_median_s"],
                wall_time_min_s=a["wall_time_min_s"], gflops=a["gflops"],
                max_abs_error=a["max_abs_error"], status=a.get("status", ""))
