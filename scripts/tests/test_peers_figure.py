"""The peers figure (peers.png, attnplot.peerfigure): one panel per shape and element type, a bar per
implementation at its median, the decode panel in GB/s, peers that did not run as empty bars with
their status, materialised scores hatched; written by scripts/plot.py when peer rows are present."""

import pytest
from matplotlib.patches import Rectangle

import peers_plot_support as support
from plot_support import assert_png, draw, legend_texts, run_plot
from attnplot.peerfigure import ATTNBENCH_COLOR, fig_peers
from attnplot.schema import Dataset, Skip
from attnplot.style import plt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def figure(tmp_path):
    return draw(fig_peers, support.write(tmp_path / "peers.csv"))["peers"]


def panels(fig):
    return {ax.get_title(): ax for ax in fig.get_axes()}


def bars(ax):
    """{y tick label: [bar widths]} of the panel (a name appears once per thread count)."""
    labels = {round(t): label.get_text() for t, label in zip(ax.get_yticks(), ax.get_yticklabels())}
    found = {}
    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            y = round(patch.get_y() + patch.get_height() / 2)
            found.setdefault(labels[y], []).append(patch)
    return found


def test_one_panel_per_shape_and_element_type(tmp_path):
    titles = set(panels(figure(tmp_path)))
    prefill = "B1 H4/4 d32 · Nq 2048 · Nk 2048 · non-causal"
    assert titles == {f"{prefill}\nfp32", f"{prefill}\nbf16", f"{prefill}\nf16", f"{prefill}\nK/V q8_0",
                      "B1 H8/2 d64 · Nq 1 · Nk 4096 · causal\nfp32"}


def test_bars_are_medians_grouped_by_threads(tmp_path):
    ax = panels(figure(tmp_path))["B1 H4/4 d32 · Nq 2048 · Nk 2048 · non-causal\nfp32"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1 thread" and "2 threads" in labels
    found = bars(ax)
    assert sorted(p.get_width() for p in found["openvino-sdpa-f32"]) == [150.0, 160.0]
    assert {p.get_facecolor()[:3] for p in found["attnbench fused"]} == {plt.matplotlib.colors.to_rgb(ATTNBENCH_COLOR)}
    assert [p.get_hatch() for p in found["attnbench naive"]] == ["////", "////"]
    assert found["openvino-sdpa-f32"][0].get_hatch() is None
    assert ax.get_xlabel().startswith("GFLOP/s")


def test_not_ok_rows_are_empty_bars_with_their_status(tmp_path):
    ax = panels(figure(tmp_path))["B1 H4/4 d32 · Nq 2048 · Nk 2048 · non-causal\nfp32"]
    found = bars(ax)
    for name in ("pytorch-sdpa-flash", "onnxruntime-attention23"):
        (patch,) = found[name]
        assert patch.get_facecolor()[3] == 0 and patch.get_linestyle() == "--", name
    texts = [t.get_text() for t in ax.texts]
    assert "missing: torch" in texts and "incorrect" in texts


def test_decode_panel_draws_kv_read_gbps(tmp_path):
    ax = panels(figure(tmp_path))["B1 H8/2 d64 · Nq 1 · Nk 4096 · causal\nfp32"]
    found = bars(ax)
    assert [p.get_width() for p in found["openvino-sdpa-f32"]] == [25.0]
    assert [p.get_width() for p in found["attnbench decode"]] == [20.0]
    assert [p.get_width() for p in found["pytorch-sdpa-math"]] == [8.0]
    assert "GB/s of K/V read" in ax.get_xlabel()


def test_other_types_show_attnbench_fastest_for_reference_and_the_legend(tmp_path):
    fig = figure(tmp_path)
    ax = panels(fig)["B1 H4/4 d32 · Nq 2048 · Nk 2048 · non-causal\nbf16"]
    assert set(bars(ax)) == {"openvino-sdpa-bf16", "attnbench fused (fp32)"}
    texts = legend_texts(fig)
    assert "materialises scores" in texts and "did not run (status)" in texts and "attnbench (fp32)" in texts
    assert "CPU: " in fig.get_suptitle()


def test_no_peer_rows_skips(tmp_path):
    only_ours = [r for r in support.rows() if r["kind"] == "time"]
    with pytest.raises(Skip):
        fig_peers(Dataset([str(support.write(tmp_path / "ours.csv", only_ours))]))


def test_plot_command_writes_peers_png(tmp_path):
    result = run_plot(support.write(tmp_path / "peers.csv"), "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "peers.png" not in result.stderr
    assert_png(tmp_path / "plots" / "peers.png")
