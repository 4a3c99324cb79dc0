"""The layer figures (attnplot.layerfigure): attention_share_vs_seq_len.png, a line per variant with
the 50% line and an x for a length that did not run, and layer_speedup.png, a solid (attention) and
a hatched (whole layer) bar per variant and length, none where naive did not run; a panel per model
and phase at the largest thread count; written by scripts/plot.py when layer rows are present."""

import pytest
from matplotlib.patches import Rectangle

import layer_plot_support as support
from plot_support import assert_png, draw, legend_texts, make_row, run_plot, write_csv
from attnplot.layerfigure import LAYER_HATCH, fig_attention_share, fig_layer_speedup
from attnplot.schema import Dataset, Skip
from attnplot.style import plt

PREFILL, DECODE = "llama-3-8b\nprefill · 2 threads", "llama-3-8b\ndecode · Nq 1 · 2 threads"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def figure(tmp_path, make, stem):
    return draw(make, support.write(tmp_path / "layer.csv"))[stem]


def panels(fig):
    return {ax.get_title(): ax for ax in fig.get_axes() if ax.get_visible()}


def test_share_panels_per_model_and_phase_at_the_largest_thread_count(tmp_path):
    fig = figure(tmp_path, fig_attention_share, "attention_share_vs_seq_len")
    assert set(panels(fig)) == {PREFILL, DECODE}
    assert "1 panel at fewer threads left out" in fig.get_suptitle()
    assert "CPU: " in fig.get_suptitle()


def test_share_lines_stop_where_a_variant_did_not_run_and_say_why(tmp_path):
    ax = panels(figure(tmp_path, fig_attention_share, "attention_share_vs_seq_len"))[PREFILL]
    (naive,) = [line for line in ax.get_lines() if line.get_label() == "naive"]
    assert list(naive.get_xdata()) == [512, 2048]
    assert list(naive.get_ydata()) == pytest.approx([0.25, 0.75])
    marks = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [8192]
    assert marks[0].get_ydata()[0] > 1.0  # above the 0–100% range, at the top of the panel
    assert "naive: oom" in [t.get_text() for t in ax.texts]
    (half,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(half.get_ydata()) == [0.5, 0.5]
    assert "50%" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["512", "2k", "8k"]


def test_share_legend_names_the_variants_the_half_line_and_the_marks(tmp_path):
    texts = legend_texts(figure(tmp_path, fig_attention_share, "attention_share_vs_seq_len"))
    assert {"naive", "flash2", "fused"} <= set(texts)
    assert any(t.startswith("50%") for t in texts) and any(t.startswith("did not run") for t in texts)


def bars(ax):
    """[(x centre, height, hatched)] of the panel's bars."""
    return sorted((round(p.get_x() + p.get_width() / 2, 3), p.get_height(), bool(p.get_hatch()))
                  for p in ax.patches if isinstance(p, Rectangle))


def test_speedup_bars_of_attention_and_of_the_layer(tmp_path):
    ax = panels(figure(tmp_path, fig_layer_speedup, "layer_speedup"))[PREFILL]
    found = bars(ax)
    # 512 and 2k: flash2 and fused, each a solid (attention) and a hatched (layer) bar; 8k: none.
    assert len(found) == 8 and all(x < 2 - 0.45 for x, _, _ in found)
    attention = [h for _, h, hatched in found if not hatched]
    layer = [h for _, h, hatched in found if hatched]
    assert attention == pytest.approx([2.0, 1.0, 3.0, 4.0])
    assert layer == pytest.approx([0.4 / 0.35, 1.0, 2.0, 2.0])
    assert all(p.get_hatch() in (None, LAYER_HATCH) for p in ax.patches)
    assert "no speed-up:\nnaive: oom" in [t.get_text() for t in ax.texts]
    assert "4.0×" in [t.get_text() for t in ax.texts]


def test_speedup_marks_a_variant_that_did_not_run(tmp_path):
    ax = panels(figure(tmp_path, fig_layer_speedup, "layer_speedup"))[DECODE]
    assert len(bars(ax)) == 10  # fused has no bars at 8k
    assert "oom" in [t.get_text() for t in ax.texts]
    assert {"flash2", "fused", "attention alone", "whole layer"} <= set(legend_texts(ax.figure))


def test_no_layer_rows_skips_both_figures(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [make_row(variant=v, seq=n) for v in ("naive", "flash2")
                                               for n in (256, 512)])
    for make in (fig_attention_share, fig_layer_speedup):
        with pytest.raises(Skip):
            make(Dataset([str(plain)]))


def test_speedup_skips_when_naive_never_ran(tmp_path):
    selected = [r for r in support.rows() if r["variant"] != "naive"]
    ds = Dataset([str(support.write(tmp_path / "layer.csv", selected))])
    with pytest.raises(Skip):
        fig_layer_speedup(ds)
    assert fig_attention_share(ds)


def test_plot_command_writes_both_layer_figures(tmp_path):
    result = run_plot(support.write(tmp_path / "layer.csv"), "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "attention_share_vs_seq_len.png" not in result.stderr and "layer_speedup.png" not in result.stderr
    assert_png(tmp_path / "plots" / "attention_share_vs_seq_len.png")
    assert_png(tmp_path / "plots" / "layer_speedup.png")
