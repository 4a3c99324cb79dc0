"""Tests of scripts/plot.py, run as a subprocess the way users and CI run it."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLOT = REPO / "scripts" / "plot.py"
SAMPLE = REPO / "Tests" / "Fixtures" / "sample_sweep.csv"

FIXED_FIGURES = [
    "time_vs_seq_len",
    "gflops_vs_seq_len",
    "memory_vs_seq_len",
    "max_seq_len",
    "decode_time_vs_kv_len",
    "speedup_over_naive",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    result = run_plot(SAMPLE, "--output-dir", out, "--svg")
    return result, out


def test_sample_fixture_is_present():
    with SAMPLE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    # The quick preset with maximum-length rows, plus a flash2 block-size grid.
    assert len(rows) == 86
    assert {r["kind"] for r in rows} == {"time", "maxlen"}
    assert {"schema_version", "variant", "kind"} <= set(rows[0])


def test_sample_writes_every_figure_as_png(sample_run):
    result, out = sample_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for stem in FIXED_FIGURES:
        assert_png(out / f"{stem}.png")
    heatmaps = sorted(out.glob("block_heatmap_*.png"))
    assert heatmaps, "no block_heatmap_*.png written"
    for path in heatmaps:
        assert_png(path)
    # The sample sweeps nine block pairs for flash2.
    assert {p.stem for p in heatmaps} >= {"block_heatmap_flash2"}


def test_sample_lists_written_files(sample_run):
    result, out = sample_run
    for path in out.iterdir():
        assert str(path) in result.stdout, f"{path.name} not listed on stdout"


def test_svg_flag_writes_svg_next_to_every_png(sample_run):
    _, out = sample_run
    pngs = sorted(out.glob("*.png"))
    assert pngs
    for png in pngs:
        svg = png.with_suffix(".svg")
        assert svg.is_file(), f"{svg.name} missing"
        head = svg.read_text(encoding="utf-8")[:2000]
        assert "<svg" in head, f"{svg.name} is not an SVG"


def test_no_svg_without_flag(tmp_path):
    maxlen_only = tmp_path / "maxlen.csv"
    with SAMPLE.open(newline="") as src, maxlen_only.open("w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(r for r in reader if r["kind"] == "maxlen")
    out = tmp_path / "plots"
    result = run_plot(maxlen_only, "--output-dir", out)
    assert result.returncode == 0, result.stderr
    assert_png(out / "max_seq_len.png")
    assert not list(out.glob("*.svg"))
    # Figures that need timed rows are skipped, each with a one-line message.
    assert "skipping time_vs_seq_len.png:" in result.stderr
    assert "skipping decode_time_vs_kv_len.png:" in result.stderr
    assert_clean_failure(result)


def test_baseline_and_current_together(tmp_path):
    """The CI workflow plots baseline.csv and current.csv in one call."""
    baseline, current = tmp_path / "baseline.csv", tmp_path / "current.csv"
    baseline.write_bytes(SAMPLE.read_bytes())
    current.write_bytes(SAMPLE.read_bytes())
    out = tmp_path / "plots"
    result = run_plot(baseline, current, "--output-dir", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for stem in FIXED_FIGURES:
        assert_png(out / f"{stem}.png")


def test_csv_missing_columns_is_skipped_not_crashed(tmp_path):
    sparse = tmp_path / "sparse.csv"
    sparse.write_text(
        "schema_version,variant,kind,status\n"
        "1,naive,time,ok\n"
        "1,flash2,maxlen,ok\n"
    )
    result = run_plot(sparse, "--output-dir", tmp_path / "plots")
    assert result.returncode in (0, 2)
    assert_clean_failure(result)
    assert "skipping max_seq_len.png:" in result.stderr
    assert "skipping time_vs_seq_len.png:" in result.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "does-not-exist.csv"
    result = run_plot(missing, "--output-dir", tmp_path / "plots")
    assert result.returncode == 2
    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "does-not-exist.csv" in lines[0]


def test_non_attnbench_csv_exits_2(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("name,value\nalpha,1\nbeta,2\n")
    result = run_plot(other, "--output-dir", tmp_path / "plots")
    assert result.returncode == 2
    assert_clean_failure(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not an attnbench CSV" in result.stderr
    assert not list((tmp_path).glob("plots/*.png"))


@pytest.mark.parametrize("content", [b"", b"\x00\x01\xff\xfe binary\n"])
def test_empty_or_binary_file_exits_2(tmp_path, content):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = run_plot(bad, "--output-dir", tmp_path / "plots")
    assert result.returncode == 2
    assert_clean_failure(result)
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_cells_do_not_crash(tmp_path):
    """Non-numeric cells and non-ok rows are ignored, not fatal."""
    with SAMPLE.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames
        rows = list(reader)
    rows[0]["wall_time_median_s"] = "n/a"
    rows[1]["status"] = "oom"
    rows[2]["peak_memory_bytes"] = "-"
    broken = tmp_path / "broken.csv"
    with broken.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    result = run_plot(broken, "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
