"""The arithmetic behind the layer figures and table (attnplot.layerdata): medians over duplicate
rows, the length from which attention is half the layer (interpolated in log2 length), speed-ups
over naive of the attention and of the layer, the surviving fraction, rows that did not run, and the
largest thread count.  Standard library only."""

import pytest

import layer_plot_support as support
from attnplot.layerdata import (
    Crossing, Point, crossing, crossing_text, format_length, largest_threads, layer_panels, panel_labels, speedups,
    surviving,
)
from attnplot.schema import Dataset


def panels(tmp_path, selected=None):
    return layer_panels(Dataset([str(support.write(tmp_path / "layer.csv", selected))]).rows)


def panel(found, phase, threads=2):
    (key,) = [p for p in found if p.phase == phase and p.threads == threads]
    return found[key]


def test_layer_rows_form_one_panel_per_phase_and_thread_count(tmp_path):
    found = panels(tmp_path)
    assert sorted((p.phase, p.query, p.threads) for p in found) == [
        ("decode", 1, 2), ("prefill", None, 1), ("prefill", None, 2)]
    assert ("flash2", 4096) not in panel(found, "prefill")  # a row without layer columns
    kept, dropped = largest_threads(found)
    assert dropped == 1 and {p.threads for p in kept} == {2}


def test_duplicate_rows_are_summarised_by_their_medians(tmp_path):
    point = panel(panels(tmp_path), "prefill")[("fused", 2048)]
    assert point.rows == 2
    assert point.attention == pytest.approx(0.15)
    assert point.total == pytest.approx(0.4)  # (0.35 + 0.45) / 2, row by row
    assert point.share == pytest.approx((0.1 / 0.35 + 0.2 / 0.45) / 2)


def test_rows_that_did_not_run_keep_their_status(tmp_path):
    point = panel(panels(tmp_path), "prefill")[("naive", 8192)]
    assert (point.status, point.attention, point.share) == ("oom", None, None)


def test_crossing_is_interpolated_in_log2_length(tmp_path):
    prefill = panel(panels(tmp_path), "prefill")
    # 0.25 at 512 and 0.75 at 2k: half-way between log2 9 and log2 11.
    found = crossing(prefill, "naive")
    assert (found.relation, found.measured) == ("=", 2048)
    assert found.estimate == pytest.approx(1024)
    assert crossing_text(found) == "≈ 1k (measured 2k)"
    assert crossing_text(crossing(prefill, "flash2")) == "2k"  # exactly half at 2k


def test_crossing_before_the_smallest_and_beyond_the_largest_length(tmp_path):
    decode = panel(panels(tmp_path), "decode")
    assert crossing_text(crossing(decode, "naive")) == "≤ 512"
    assert crossing_text(crossing(decode, "flash2")) == "> 8k"
    assert crossing(decode, "fused") == Crossing(">", 2048, failed=((8192, "oom"),))
    assert crossing_text(crossing(decode, "fused")) == "> 2k (8k: oom)"
    assert crossing(decode, "chunked") is None


def test_an_interpolated_crossing_between_uneven_shares():
    # 0.2 at 1k and 0.8 at 4k: a quarter of the way in log2, at 2^(10 + 0.5) tokens.
    points = {("flash2", 1024): Point("flash2", 1024, "ok", share=0.2),
              ("flash2", 4096): Point("flash2", 4096, "ok", share=0.8)}
    found = crossing(points, "flash2")
    assert found.estimate == pytest.approx(2 ** 11)
    points[("flash2", 4096)] = Point("flash2", 4096, "ok", share=0.6)  # 3/4 of the way: 2^11.5
    assert crossing(points, "flash2").estimate == pytest.approx(2 ** 11.5)
    assert crossing_text(crossing(points, "flash2")) == "≈ 2.8k (measured 4k)"


def test_speedups_and_the_surviving_fraction(tmp_path):
    found = {(s.variant, s.length): s for s in speedups(panel(panels(tmp_path), "prefill"))}
    s = found[("flash2", 512)]
    assert (s.attention, s.layer, s.surviving) == pytest.approx((2.0, 0.4 / 0.35, 1 / 7))
    s = found[("flash2", 2048)]
    assert (s.attention, s.layer, s.surviving) == pytest.approx((3.0, 2.0, 0.5))
    s = found[("fused", 2048)]
    assert (s.attention, s.layer, s.surviving) == pytest.approx((4.0, 2.0, 1 / 3))
    s = found[("fused", 512)]
    assert s.attention == pytest.approx(1.0) and s.surviving is None  # not faster: nothing survives


def test_no_speedup_where_naive_or_the_variant_did_not_run(tmp_path):
    prefill = {(s.variant, s.length): s for s in speedups(panel(panels(tmp_path), "prefill"))}
    assert prefill[("flash2", 8192)].missing == "naive: oom" and prefill[("flash2", 8192)].attention is None
    decode = {(s.variant, s.length): s for s in speedups(panel(panels(tmp_path), "decode"))}
    assert decode[("fused", 8192)].missing == "oom"
    assert decode[("flash2", 8192)].attention == pytest.approx(8 / 3)


def test_surviving_fraction_edges():
    assert surviving(3.0, 2.0) == pytest.approx(0.5)
    assert surviving(2.0, 0.9) == pytest.approx(-0.1)  # the layer got slower
    assert surviving(1.0, 1.2) is None and surviving(0.8, 1.0) is None and surviving(None, 1.0) is None


def test_lengths_read_in_k_of_1024_tokens():
    assert [format_length(n) for n in (512, 2048, 8192, 32768, 1536, 3172.4, 12000)] == [
        "512", "2k", "8k", "32k", "1.5k", "3.1k", "11.7k"]


def test_a_models_mask_is_named_with_the_model_when_masks_differ(tmp_path):
    encoder = [dict(r, model="bert-base", causal="false") for r in support.rows()[:3]]
    labels = panel_labels(list(panels(tmp_path, support.rows() + encoder)))
    assert set(labels.values()) >= {("bert-base · non-causal", "prefill"), ("llama-3-8b · causal", "prefill"),
                                    ("llama-3-8b · causal", "decode · Nq 1")}
    assert set(panel_labels(list(panels(tmp_path))).values()) == {("llama-3-8b", "prefill"),
                                                                   ("llama-3-8b", "decode · Nq 1")}
