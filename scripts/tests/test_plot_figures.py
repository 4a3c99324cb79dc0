"""Tests of what the attnplot figures draw (legend texts, titles, lines, bars), checked in-process
on the matplotlib figure: reference peaks, several machines, model presets, fused against flash2.
The CSVs are synthetic (plot_support.make_row), except where the sample fixture is named."""

import re
import statistics

import pytest
from matplotlib.colors import to_rgb

from plot_support import (EPYC, EPYC_HASWELL, SAMPLE, SCHEMA_DOCUMENT, XEON, draw, labelled_lines, legend_texts,
                          make_row, write_csv)
from attnplot.blocks import fig_block_heatmaps  # scripts/ is on sys.path: plot_support puts it there
from attnplot.decode import fig_decode_time_vs_kv_len
from attnplot.maxlen import fig_max_seq_len
from attnplot.prefill import fig_memory_vs_seq_len, fig_speedup_over_naive, fig_time_vs_seq_len
from attnplot.schema import Dataset, Skip
from attnplot.selection import short_cpu_model
from attnplot.style import VARIANT_COLORS, plt
from attnplot.throughput import fig_fused_vs_flash2, fig_gflops_vs_seq_len


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


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
