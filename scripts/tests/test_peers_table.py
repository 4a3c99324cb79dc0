"""The peers summary table (scripts/peers_table.py, attnplot.peertable) and the row rules behind it
(attnplot.peerdata): fastest ok peer and attnbench variant, their ratio, the decode metric, element
types, materialised scores, the footnote of peers that did not run.  Standard library only."""

import subprocess
import sys

import peers_plot_support as support
from plot_support import REPO
from attnplot.peerdata import element_type, entries, materialises
from attnplot.peertable import markdown, summary
from attnplot.schema import Dataset

TABLE = REPO / "scripts" / "peers_table.py"


def loaded(tmp_path, selected=None):
    return Dataset([str(support.write(tmp_path / "peers.csv", selected))]).rows


def lines_by_key(tmp_path):
    found = summary(entries(loaded(tmp_path)))
    return {(shape.seq_len_q, etype, threads): (peer, mine, ratio)
            for shape, etype, threads, peer, mine, ratio in found}


def test_fastest_peer_and_attnbench_and_their_ratio(tmp_path):
    lines = lines_by_key(tmp_path)
    peer, mine, ratio = lines[(2048, "fp32", 1)]
    assert (peer.name, peer.value, peer.low, peer.high, peer.rounds) == ("openvino-sdpa-f32", 150.0, 140.0, 160.0, 3)
    assert (mine.name, mine.value) == ("attnbench fused", 100.0)
    assert abs(ratio - 100.0 / 150.0) < 1e-9
    peer, mine, ratio = lines[(2048, "fp32", 2)]
    assert (peer.name, mine.name) == ("onnxruntime-mha", "attnbench fused")
    assert abs(ratio - 180.0 / 200.0) < 1e-9


def test_only_ok_rows_compete(tmp_path):
    peer, _, _ = lines_by_key(tmp_path)[(2048, "fp32", 1)]
    assert peer.name != "onnxruntime-attention23"  # 500 GFLOP/s, but incorrect


def test_other_element_types_compare_with_attnbench_fp32(tmp_path):
    lines = lines_by_key(tmp_path)
    peer, mine, ratio = lines[(2048, "bf16", 1)]
    assert (peer.name, mine.name) == ("openvino-sdpa-bf16", "attnbench fused")
    assert abs(ratio - 100.0 / 300.0) < 1e-9
    assert lines[(2048, "K/V q8_0", 1)][0].name == "ggml-flash-attn-kv-q8_0"
    assert lines[(2048, "f16", 1)][0].name == "onnxruntime-attention23-f16"


def test_decode_shapes_compare_kv_read_gbps(tmp_path):
    peer, mine, ratio = lines_by_key(tmp_path)[(1, "fp32", 1)]
    assert (peer.name, peer.value) == ("openvino-sdpa-f32", 25.0)  # pytorch-sdpa-math: 900 GFLOP/s, 8 GB/s
    assert (mine.name, mine.value) == ("attnbench decode", 20.0)
    assert abs(ratio - 0.8) < 1e-9
    math_entry = [e for e in entries(loaded(tmp_path)) if e.name == "pytorch-sdpa-math"][0]
    assert abs(math_entry.value - 8.0) < 1e-9


def test_markdown_rows_ratio_and_footnotes(tmp_path):
    text = markdown(loaded(tmp_path))
    assert ("| B1 H4/4 d32 · Nq 2048 · Nk 2048 · non-causal | fp32 | 1 | openvino-sdpa-f32 | 150.0 GFLOP/s | "
            "fused | 100.0 GFLOP/s | 0.67 |") in text
    assert "| B1 H8/2 d64 · Nq 1 · Nk 4096 · causal | fp32 | 1 | openvino-sdpa-f32 | 25.0 GB/s | decode | " \
           "20.0 GB/s | 0.80 |" in text
    assert "pytorch: missing: torch (pytorch-sdpa-flash)" in text
    assert "onnxruntime: incorrect (onnxruntime-attention23)" in text
    assert "onnxruntime-attention23-f16†" in text and "† materialises the scores" in text
    full = markdown(loaded(tmp_path), full=True)
    assert "| openvino-sdpa-f32 | 150.0 GFLOP/s | 140.0–160.0 | 3 | ok |" in full


def test_element_types_and_materialised_scores(tmp_path):
    names = {"openvino-sdpa-bf16": "bf16", "onnxruntime-mha-f16": "f16", "pytorch-sdpa-flash": "fp32",
             "ggml-flash-attn-kv-f16": "K/V f16", "ggml-flash-attn-kv-f32": "fp32", "ggml-flash-attn-kv-q8_0":
             "K/V q8_0", "openvino-sdpa-f32": "fp32"}
    for name, expected in names.items():
        assert element_type({"kind": "peer", "variant": name}) == expected, name
    assert element_type({"kind": "time", "variant": "fused"}) == "fp32"
    flagged = {e.name for e in entries(loaded(tmp_path)) if e.materialises}
    assert flagged == {"attnbench naive", "onnxruntime-attention23-f16", "pytorch-sdpa-math"}
    # A score matrix within the noise of a first call's resident-set rise is not judged by memory.
    small = {"kind": "peer", "variant": "x-f32", "batch": 1, "heads": 1, "seq_len_q": 64, "seq_len_kv": 64,
             "peak_memory_bytes": 1 << 30, "message": "x 1; fused"}
    assert not materialises(small)


def run_table(*args):
    return subprocess.run([sys.executable, str(TABLE), *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_command_prints_the_table(tmp_path):
    result = run_table(support.write(tmp_path / "peers.csv"), "--full")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("| shape | type | threads | fastest peer |")
    assert "| implementation |" in result.stdout


def test_command_without_peer_rows_exits_2(tmp_path):
    only_ours = [r for r in support.rows() if r["kind"] == "time"]
    result = run_table(support.write(tmp_path / "ours.csv", only_ours))
    assert result.returncode == 2
    assert result.stderr.startswith("peers_table.py: no peer rows")
    assert run_table(tmp_path / "absent.csv").returncode == 2


def test_a_model_preset_matches_peers_of_its_sizes_and_names_the_shape(tmp_path):
    selected = [support.ours("fused", 1, 100.0, model="llama-3-8b"), support.peer("openvino-sdpa-f32", 1, 150.0)]
    text = markdown(loaded(tmp_path, selected))
    assert "| llama-3-8b · Nq 2048 · Nk 2048 · non-causal | fp32 | 1 | openvino-sdpa-f32 | 150.0 GFLOP/s | fused |" \
           in text
