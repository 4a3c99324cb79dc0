"""Tests of the scripts/plot.py command line, run as a subprocess the way users and CI run it, on
Tests/Fixtures/sample_sweep.csv and on unusable input. The tests do not depend on the fixture's
numbers: it is regenerated from real runs."""

import csv

import pytest

from plot_support import (FIXED_FIGURES, SAMPLE, assert_clean_failure, assert_png, draw, legend_texts, read_sample,
                          run_plot, SCHEMA_VERSION)
from attnplot.cli import FIGURES  # scripts/ is on sys.path: plot_support puts it there
from attnplot.layerfigure import fig_attention_share, fig_layer_speedup
from attnplot.peerfigure import fig_peers
from attnplot.prefill import fig_time_vs_seq_len
from attnplot.schema import Dataset, Skip
from attnplot.style import plt
from attnplot.throughput import fig_fused_vs_flash2


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    result = run_plot(SAMPLE, "--output-dir", out, "--svg")
    return result, out


def test_sample_writes_every_figure_as_png(sample_run):
    result, out = sample_run
    assert result.returncode == 0, result.stderr
    assert_clean_failure(result)
    assert "internal error" not in result.stderr
    for stem in FIXED_FIGURES:
        assert_png(out / f"{stem}.png")
    heatmaps = sorted(out.glob("block_heatmap_*.png"))
    assert {p.stem for p in heatmaps} >= {"block_heatmap_flash2"}
    for path in heatmaps:
        assert_png(path)
    _, rows = read_sample()
    if {"fused", "flash2"} <= {r["variant"] for r in rows}:
        assert_png(out / "fused_vs_flash2.png")
    else:
        assert "skipping fused_vs_flash2.png:" in result.stderr


def test_every_figure_function_draws_from_the_sample():
    _, rows = read_sample()
    has_fused = {"fused", "flash2"} <= {r["variant"] for r in rows}
    has_peers = any(r["kind"] == "peer" for r in rows)
    has_layer = any(r.get("layer_dtype") for r in rows)
    ds = Dataset([str(SAMPLE)])
    for name, make in FIGURES:
        if ((make is fig_fused_vs_flash2 and not has_fused) or (make is fig_peers and not has_peers)
                or (make in (fig_attention_share, fig_layer_speedup) and not has_layer)):
            with pytest.raises(Skip):
                make(ds)
            continue
        figures = make(ds)
        assert figures, name
        for stem, fig in figures:
            assert fig.get_axes(), stem
            assert fig.get_suptitle(), stem
            # One machine: named in the title as before.
            assert "CPU: " in fig.get_suptitle() and "machines" not in fig.get_suptitle(), stem


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
        assert "<svg" in svg.read_text(encoding="utf-8")[:2000], f"{svg.name} is not an SVG"


def test_no_svg_without_flag(tmp_path):
    fields, rows = read_sample()
    maxlen_only = tmp_path / "maxlen.csv"
    with maxlen_only.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(r for r in rows if r["kind"] == "maxlen")
    out = tmp_path / "plots"
    result = run_plot(maxlen_only, "--output-dir", out)
    assert result.returncode == 0, result.stderr
    assert_png(out / "max_seq_len.png")
    assert not list(out.glob("*.svg"))
    assert "skipping time_vs_seq_len.png:" in result.stderr
    assert "skipping decode_time_vs_kv_len.png:" in result.stderr
    assert_clean_failure(result)


def test_baseline_and_current_together(tmp_path):
    """The CI workflow plots baseline.csv and current.csv (one machine) in one call."""
    baseline, current = tmp_path / "baseline.csv", tmp_path / "current.csv"
    baseline.write_bytes(SAMPLE.read_bytes())
    current.write_bytes(SAMPLE.read_bytes())
    result = run_plot(baseline, current, "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for stem in FIXED_FIGURES:
        assert_png(tmp_path / "plots" / f"{stem}.png")
    fig = draw(fig_time_vs_seq_len, baseline, current)["time_vs_seq_len"]
    texts = legend_texts(fig)
    assert "flash2 · baseline" in texts and "flash2 · current" in texts
    assert not any("cores" in t for t in texts), "one machine: legends name the file only"


def test_csv_missing_columns_is_skipped_not_crashed(tmp_path):
    sparse = tmp_path / "sparse.csv"
    v = SCHEMA_VERSION
    sparse.write_text(f"schema_version,variant,kind,status\n{v},naive,time,ok\n{v},flash2,maxlen,ok\n")
    result = run_plot(sparse, "--output-dir", tmp_path / "plots")
    assert result.returncode in (0, 2)
    assert_clean_failure(result)
    assert "skipping max_seq_len.png:" in result.stderr
    assert "skipping time_vs_seq_len.png:" in result.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    result = run_plot(tmp_path / "does-not-exist.csv", "--output-dir", tmp_path / "plots")
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
    assert not list(tmp_path.glob("plots/*.png"))


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
    fields, rows = read_sample()
    rows[0]["wall_time_median_s"] = "n/a"
    rows[1]["status"] = "oom"
    rows[2]["peak_memory_bytes"] = "-"
    rows[3]["fma_peak_gflops"] = "inf"
    broken = tmp_path / "broken.csv"
    with broken.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    result = run_plot(broken, "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
