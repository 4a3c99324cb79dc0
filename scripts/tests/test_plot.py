"""Tests of scripts/plot.py and the attnplot package.

The command line runs as a subprocess the way users and CI run it; what a figure draws (legend
texts, titles, lines, bars) is checked in-process on the matplotlib figure.  Tests do not
depend on the numbers in Tests/Fixtures/sample_sweep.csv: the fixture is regenerated from
real runs.  Synthetic CSVs (two machines, model presets, fused) are written by `write_csv`
with the header order of schema/columns.json.
"""

import csv
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.colors import to_rgb

REPO = Path(__file__).resolve().parents[2]
PLOT = REPO / "scripts" / "plot.py"
SAMPLE = REPO / "Tests" / "Fixtures" / "sample_sweep.csv"
COLUMNS_JSON = REPO / "schema" / "columns.json"

sys.path.insert(0, str(REPO / "scripts"))
from attnplot import schema as schema_module  # noqa: E402
from attnplot.blocks import fig_block_heatmaps  # noqa: E402
from attnplot.cli import FIGURES  # noqa: E402
from attnplot.decode import fig_decode_time_vs_kv_len  # noqa: E402
from attnplot.maxlen import fig_max_seq_len  # noqa: E402
from attnplot.prefill import fig_memory_vs_seq_len, fig_speedup_over_naive, fig_time_vs_seq_len  # noqa: E402
from attnplot.schema import Dataset, InputError, Schema, Skip, load_csv  # noqa: E402
from attnplot.selection import short_cpu_model  # noqa: E402
from attnplot.style import VARIANT_COLORS, plt  # noqa: E402
from attnplot.throughput import fig_fused_vs_flash2, fig_gflops_vs_seq_len  # noqa: E402

SCHEMA_DOCUMENT = json.loads(COLUMNS_JSON.read_text(encoding="utf-8"))
COLUMN_NAMES = [c["name"] for c in SCHEMA_DOCUMENT["columns"]]
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


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

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
    """One ok timed prefill row of schema 2; every column present, `fields` override."""
    seq = fields.pop("seq", 256)
    row = {name: "" for name in COLUMN_NAMES}
    row.update({
        "schema_version": 2, "kind": "time", "variant": "flash2", "batch": 1, "heads": 8,
        "kv_heads": 8, "seq_len_q": seq, "seq_len_kv": seq, "head_dim": 64, "block_q": 64,
        "block_kv": 128, "block_auto": "true", "causal": "false", "threads": 2,
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


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    result = run_plot(SAMPLE, "--output-dir", out, "--svg")
    return result, out


# --------------------------------------------------------------------------
# Schema and loading
# --------------------------------------------------------------------------

def test_sample_fixture_has_the_schema_header():
    fields, rows = read_sample()
    assert fields == COLUMN_NAMES, "fixture header is not the column order of schema/columns.json"
    assert rows and {r["schema_version"] for r in rows} == {str(SCHEMA_DOCUMENT["schema_version"])}
    assert {r["kind"] for r in rows} == {"time", "maxlen"}


def test_schema_path_is_the_repository_columns_json():
    assert Path(schema_module.SCHEMA_PATH) == COLUMNS_JSON
    loaded = schema_module.current_schema()
    assert loaded.version == SCHEMA_DOCUMENT["schema_version"] == 2
    assert list(loaded.column_names) == COLUMN_NAMES
    assert list(loaded.machine_key) == SCHEMA_DOCUMENT["machine_key"]


def test_loaded_values_have_the_types_of_the_schema_file():
    python_types = {"int": int, "float": float, "bool": bool, "str": str}
    _, rows = load_csv(str(SAMPLE))
    checked = set()
    for column in SCHEMA_DOCUMENT["columns"]:
        for row in rows:
            if row.get(column["name"]) is not None:
                assert type(row[column["name"]]) is python_types[column["type"]], column["name"]
                checked.add(column["name"])
    assert {"gflops", "fma_peak_gflops", "kv_heads", "causal", "cpu_vector_bits"} <= checked


def test_types_follow_an_edited_schema_file(tmp_path):
    """No second column list: retyping a column in the file retypes the loaded cell."""
    document = json.loads(COLUMNS_JSON.read_text(encoding="utf-8"))
    for column in document["columns"]:
        if column["name"] == "heads":
            column["type"] = "float"
        if column["name"] == "seed":
            column["type"] = "str"
    edited = tmp_path / "columns.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    loaded = Schema.load(str(edited))
    assert loaded.convert("heads", "8") == 8.0 and type(loaded.convert("heads", "8")) is float
    assert loaded.convert("seed", "42") == "42"
    assert loaded.convert("kv_heads", "x") is None and loaded.convert("kv_heads", "") is None


def test_unreadable_schema_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="columns.json"):
        Schema.load(str(tmp_path / "columns.json"))


def test_schema_1_csv_is_refused_with_one_line(tmp_path):
    fields, rows = read_sample()
    old_names = {"gemm_roofline_gflops": "sgemm_gflops", "gemm_roofline_efficiency": "efficiency"}
    old = tmp_path / "old-sweep.csv"
    with old.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[old_names.get(f, f) for f in fields])
        writer.writeheader()
        for row in rows:
            writer.writerow({old_names.get(k, k): ("1" if k == "schema_version" else v) for k, v in row.items()})
    result = run_plot(old, "--output-dir", tmp_path / "plots")
    assert result.returncode == 2
    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "old-sweep.csv" in lines[0] and "schema_version 1" in lines[0]
    assert "re-run the sweep" in lines[0]
    assert not (tmp_path / "plots").exists() or not list((tmp_path / "plots").iterdir())


def test_newer_schema_warns_and_plots(tmp_path):
    newer = write_csv(tmp_path / "newer.csv", [make_row(schema_version=3, seq=s) for s in (256, 512)])
    result = run_plot(newer, "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "warning: " in result.stderr and "schema_version [3]" in result.stderr
    assert_clean_failure(result)


# --------------------------------------------------------------------------
# The command line on the fixture
# --------------------------------------------------------------------------

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
    ds = Dataset([str(SAMPLE)])
    for name, make in FIGURES:
        if make is fig_fused_vs_flash2 and not has_fused:
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
    sparse.write_text("schema_version,variant,kind,status\n2,naive,time,ok\n2,flash2,maxlen,ok\n")
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


# --------------------------------------------------------------------------
# What the figures draw
# --------------------------------------------------------------------------

def test_gflops_references_are_the_median_peaks_of_each_panel():
    fig = draw(fig_gflops_vs_seq_len, SAMPLE)["gflops_vs_seq_len"]
    texts = legend_texts(fig)
    for label in ("FMA peak", "sgemm peak", "GEMM roofline (attention shapes)"):
        assert label in texts, texts
    ds = Dataset([str(SAMPLE)])
    rows = [r for r in ds.rows if r.get("kind") == "time" and r.get("status") == "ok"
            and r.get("seq_len_q") == r.get("seq_len_kv") and r.get("gflops") is not None]
    for ax in fig.get_axes():
        if not ax.get_visible():
            continue
        title = ax.get_title()
        causal = not title.startswith("non-causal")
        panel = [r for r in rows if r["causal"] is causal]
        # The figure keeps one shape, named in its subtitle; the median is over its rows.
        head_dim = int(re.search(r"head_dim (\d+)", fig.get_suptitle()).group(1))
        panel = [r for r in panel if r["head_dim"] == head_dim]
        for column, label in (("fma_peak_gflops", "FMA peak"), ("sgemm_peak_gflops", "sgemm peak")):
            lines = labelled_lines(ax, label)
            assert len(lines) == 1, (title, label)
            expected = statistics.median(r[column] for r in panel)
            assert abs(lines[0].get_ydata()[0] - expected) < 0.06, (title, label, expected)
        assert ax.get_ylim()[1] > labelled_lines(ax, "FMA peak")[0].get_ydata()[0]


def two_machine_rows():
    rows = []
    for machine in (EPYC, EPYC_HASWELL, XEON):
        peak = 600.0 if machine is XEON else 300.0
        for variant in ("naive", "flash2"):
            for seq in (256, 512, 1024):
                rows.append(make_row(variant=variant, seq=seq, fma_peak_gflops=peak,
                                     sgemm_peak_gflops=peak / 2, **machine))
    return rows


def test_several_machines_get_line_styles_and_names(tmp_path):
    path = write_csv(tmp_path / "machines.csv", two_machine_rows())
    fig = draw(fig_time_vs_seq_len, path)["time_vs_seq_len"]
    texts = legend_texts(fig)
    epyc_zen = "flash2 · AMD EPYC 7763 · 2 cores · OpenBLAS Zen"
    epyc_haswell = "flash2 · AMD EPYC 7763 · 2 cores · OpenBLAS Haswell"
    xeon = "flash2 · Intel Xeon Platinum 8370C · 4 cores · OpenBLAS SkylakeX"
    assert {epyc_zen, epyc_haswell, xeon} <= set(texts), texts
    (ax,) = [a for a in fig.get_axes() if a.get_visible()]
    assert len(ax.get_lines()) == 6  # 2 variants × 3 machines
    styles = {label: labelled_lines(ax, label)[0].get_linestyle() for label in (epyc_zen, epyc_haswell, xeon)}
    assert len(set(styles.values())) == 3, styles
    colours = {labelled_lines(ax, label)[0].get_color() for label in (epyc_zen, epyc_haswell, xeon)}
    assert len(colours) == 1, "colour names the variant, not the machine"
    title = fig.get_suptitle()
    assert "3 machines" in title and "Intel Xeon Platinum 8370C · 4 cores · OpenBLAS SkylakeX" in title


def test_several_machines_each_get_their_peak(tmp_path):
    path = write_csv(tmp_path / "machines.csv", two_machine_rows())
    fig = draw(fig_gflops_vs_seq_len, path)["gflops_vs_seq_len"]
    (ax,) = [a for a in fig.get_axes() if a.get_visible()]
    # The two OpenBLAS cores of the EPYC share one FMA peak: one line, both named.
    peaks = sorted(line.get_ydata()[0] for line in labelled_lines(ax, "FMA peak"))
    assert peaks == [300.0, 600.0]
    notes = [t.get_text() for t in ax.texts]
    assert any(n.startswith("FMA peak 600.0") and "Intel Xeon" in n and "EPYC" not in n for n in notes), notes
    assert any(n.startswith("FMA peak 300.0") and "AMD EPYC 7763 2 cores: OpenBLAS Zen/Haswell" in n
               for n in notes), notes


def test_single_machine_title_names_the_cpu(tmp_path):
    path = write_csv(tmp_path / "one.csv", [make_row(variant=v, seq=s) for v in ("naive", "flash2")
                                            for s in (256, 512)])
    fig = draw(fig_time_vs_seq_len, path)["time_vs_seq_len"]
    assert "CPU: AMD EPYC 7763 64-Core Processor (2 cores, 512-bit FMA)" in fig.get_suptitle()
    assert set(legend_texts(fig)) >= {"naive", "flash2"}


def test_short_cpu_model():
    assert short_cpu_model("AMD EPYC 7763 64-Core Processor") == "AMD EPYC 7763"
    assert short_cpu_model("Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz") == "Intel Xeon Platinum 8370C"
    assert short_cpu_model("Apple M2") == "Apple M2"
    assert short_cpu_model(None) == "CPU ?"


def model_rows():
    rows = []
    for seq in (256, 512):
        for variant in ("naive", "flash2"):
            rows.append(make_row(model="llama-3.2-1b", heads=32, kv_heads=8, variant=variant, seq=seq))
            rows.append(make_row(model="mistral-7b", heads=32, kv_heads=8, head_dim=128, window=4096,
                                 variant=variant, seq=seq))
            rows.append(make_row(variant=variant, seq=seq))  # shape set by flags: no model
        rows.append(make_row(model="llama-3.2-1b", heads=32, kv_heads=8, variant="decode",
                             seq_len_q=1, seq_len_kv=seq * 4))
    return rows


def test_models_get_one_panel_each(tmp_path):
    path = write_csv(tmp_path / "models.csv", model_rows())
    fig = draw(fig_time_vs_seq_len, path)["time_vs_seq_len"]
    titles = [ax.get_title() for ax in fig.get_axes() if ax.get_visible()]
    assert len(titles) == 3, titles
    llama = [t for t in titles if "llama-3.2-1b" in t]
    mistral = [t for t in titles if "mistral-7b" in t]
    assert len(llama) == 1 and len(mistral) == 1, titles
    assert "kv_heads 8" in llama[0] and "window" not in llama[0]
    assert "kv_heads 8" in mistral[0] and "window 4096" in mistral[0] and "head_dim 128" in mistral[0]
    (flags,) = [t for t in titles if t not in llama + mistral]
    assert "kv_heads" not in flags and "window" not in flags
    for ax in fig.get_axes():
        if ax.get_visible():
            assert len(ax.get_lines()) == 2  # naive and flash2 in every panel


def test_decode_panel_names_the_model(tmp_path):
    path = write_csv(tmp_path / "models.csv", model_rows())
    fig = draw(fig_decode_time_vs_kv_len, path)["decode_time_vs_kv_len"]
    (ax,) = [a for a in fig.get_axes() if a.get_visible()]
    assert "llama-3.2-1b" in ax.get_title() and "kv_heads 8" in ax.get_title()
    assert list(ax.get_lines()[0].get_xdata()) == [1024, 2048]


def test_model_csv_draws_every_figure_without_error(tmp_path):
    path = write_csv(tmp_path / "models.csv", model_rows() + [
        make_row(kind="maxlen", model="llama-3.2-1b", heads=32, kv_heads=8, variant=v, max_seq_len=n,
                 max_seq_len_bound="memory", seq_len_q="", seq_len_kv="", wall_time_median_s="")
        for v, n in (("naive", 4096), ("flash2", 65536))])
    ds = Dataset([str(path)])
    for make in (fig_time_vs_seq_len, fig_gflops_vs_seq_len, fig_memory_vs_seq_len, fig_max_seq_len,
                 fig_decode_time_vs_kv_len, fig_speedup_over_naive):
        assert make(ds), make.__name__
    with pytest.raises(Skip):
        fig_block_heatmaps(ds)  # one block pair per shape


def fused_rows(machines=(EPYC,)):
    rows = []
    for machine in machines:
        for variant, gflops in (("flash2", 60.0), ("fused", 75.0)):
            for seq in (256, 1024):
                rows.append(make_row(variant=variant, seq=seq, gflops=gflops, **machine))
            for kv in (1024, 4096):
                rows.append(make_row(variant=variant, seq_len_q=1, seq_len_kv=kv, gflops=gflops / 10, **machine))
        rows.append(make_row(variant="naive", seq=256, **machine))  # not part of the figure
    return rows


def test_fused_vs_flash2_draws_pairs_and_peaks(tmp_path):
    path = write_csv(tmp_path / "fused.csv", fused_rows())
    fig = draw(fig_fused_vs_flash2, path)["fused_vs_flash2"]
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["prefill · 2 threads", "decode · 2 threads"]
    for ax in axes:
        bars = ax.patches
        assert len(bars) == 4  # two shapes × (flash2, fused)
        colours = [to_rgb(b.get_facecolor()) for b in bars]
        assert colours.count(to_rgb(VARIANT_COLORS["fused"])) == 2
        assert colours.count(to_rgb(VARIANT_COLORS["flash2"])) == 2
        assert len(labelled_lines(ax, "FMA peak")) == 1 and len(labelled_lines(ax, "sgemm peak")) == 1
        assert not labelled_lines(ax, "GEMM roofline (attention shapes)")
        ratios = [t.get_text() for t in ax.texts if t.get_text().startswith("×")]
        assert ratios == ["×1.25", "×1.25"]
    assert {"fused", "flash2", "FMA peak", "sgemm peak"} <= set(legend_texts(fig))


def test_fused_vs_flash2_with_two_machines(tmp_path):
    path = write_csv(tmp_path / "fused.csv", fused_rows((EPYC, XEON)))
    fig = draw(fig_fused_vs_flash2, path)["fused_vs_flash2"]
    (prefill, _decode) = [ax for ax in fig.get_axes() if ax.get_visible()]
    assert len(prefill.patches) == 8  # two shapes × two machines × two variants
    assert {"fused · Intel Xeon Platinum 8370C · 4 cores · OpenBLAS SkylakeX",
            "fused · AMD EPYC 7763 · 2 cores · OpenBLAS Zen"} <= set(legend_texts(fig))


def test_fused_vs_flash2_needs_both_variants(tmp_path):
    path = write_csv(tmp_path / "flash2.csv", [r for r in fused_rows() if r["variant"] != "fused"])
    with pytest.raises(Skip, match="fused"):
        fig_fused_vs_flash2(Dataset([str(path)]))


def test_fused_colour_is_its_own():
    assert list(VARIANT_COLORS.values()).count(VARIANT_COLORS["fused"]) == 1
    assert set(SCHEMA_DOCUMENT["variants"]) <= set(VARIANT_COLORS)
