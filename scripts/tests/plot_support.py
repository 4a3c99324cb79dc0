"""Shared helpers of the plot tests (test_plot*.py): paths, running scripts/plot.py as a
subprocess, synthetic rows of schema 2 written with the header order of schema/columns.json, and
readers of what a matplotlib figure draws."""

import csv
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLOT = REPO / "scripts" / "plot.py"
SAMPLE = REPO / "Tests" / "Fixtures" / "sample_sweep.csv"
COLUMNS_JSON = REPO / "schema" / "columns.json"

sys.path.insert(0, str(REPO / "scripts"))
from attnplot.schema import Dataset  # noqa: E402

SCHEMA_DOCUMENT = json.loads(COLUMNS_JSON.read_text(encoding="utf-8"))
COLUMN_NAMES = [c["name"] for c in SCHEMA_DOCUMENT["columns"]]
SCHEMA_VERSION = SCHEMA_DOCUMENT["schema_version"]
FIXED_FIGURES = [
    "time_vs_seq_len",
    "gflops_vs_seq_len",
    "memory_vs_seq_len",
    "max_seq_len",
    "decode_time_vs_kv_len",
    "speedup_over_naive",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EPYC = {"cpu_model": "AMD EPYC 7763 64-Core Processor", "cpu_cores": 2, "openblas_core": "Zen"}
EPYC_HASWELL = dict(EPYC, openblas_core="Haswell", blas_core_requested="Haswell")
XEON = {"cpu_model": "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz", "cpu_cores": 4,
        "openblas_core": "SkylakeX"}


def run_plot(*args):
    return subprocess.run(
        [sys.executable, str(PLOT), *map(str, args)],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )


def assert_png(path):
    data = path.read_bytes()
    assert len(data) > 1000, f"{path.name} is too small to be a figure ({len(data)} bytes)"
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"


def assert_clean_failure(result):
    """No traceback, and every stderr line is a one-line message of the script."""
    assert "Traceback" not in result.stderr, result.stderr
    for line in result.stderr.splitlines():
        assert line.startswith(("skipping ", "plot.py: ", "warning: ")), line


def read_sample():
    with SAMPLE.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def make_row(**fields):
    """One ok timed prefill row of the current schema; every column present, `fields` override."""
    seq = fields.pop("seq", 256)
    row = {name: "" for name in COLUMN_NAMES}
    row.update({
        "schema_version": SCHEMA_VERSION, "kind": "time", "variant": "flash2", "batch": 1, "heads": 8,
        "kv_heads": 8, "seq_len_q": seq, "seq_len_kv": seq, "head_dim": 64, "block_q": 64,
        "block_kv": 128, "block_auto": "true", "causal": "false", "dtype": "f32", "kv_dtype": "f32", "threads": 2,
        "blas_core_requested": "env", "warmup": 1, "repetitions": 5,
        "wall_time_median_s": 0.002, "wall_time_min_s": 0.0019, "wall_time_max_s": 0.0022,
        "gflops": 50.0, "fma_peak_gflops": 300.0, "sgemm_peak_gflops": 150.0,
        "gemm_roofline_gflops": 120.0, "peak_memory_bytes": 1 << 20, "workspace_bytes": 1 << 18,
        "status": "ok", "cpu_vector_bits": 512, "openblas_version": "0.3.21", "seed": 1,
    })
    row.update(EPYC)
    row.update(fields)
    return row


def write_csv(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMN_NAMES)
        writer.writeheader()
        writer.writerows(rows)
    return path


def draw(figure_function, *paths):
    """The figures a figure function draws from the CSVs: {stem: Figure}."""
    return dict(figure_function(Dataset([str(p) for p in paths])))


def legend_texts(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def labelled_lines(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]
