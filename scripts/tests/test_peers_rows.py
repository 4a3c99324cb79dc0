"""The peers' command around the measurements, without any runtime: --model read from a captured
`attnbench models`, the shapes the options make, attnbench's command at each shape, the time
statistics of a row, and the rows of peers that cannot run a shape (a status that says why)."""
import csv
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import frameworks  # noqa: E402
from frameworks import Shape  # noqa: E402

SCRIPT = ROOT / "scripts" / "frameworks.py"

# `attnbench models` as attnbench 0.2 prints it (tab-separated), and with the layer columns after causal.
MODELS = (
    "model\theads\tkv_heads\thead_dim\twindow\tcausal\tsource\n"
    "bert-base\t12\t12\t64\tnone\tfalse\tgoogle-bert/bert-base-uncased config.json\n"
    "llama-3-8b\t32\t8\t128\tnone\ttrue\tmeta-llama/Meta-Llama-3-8B config.json\n"
    "mistral-7b\t32\t8\t128\t4096\ttrue\tmistralai/Mistral-7B-v0.1 config.json: sliding_window 4096\n")
MODELS_WITH_LAYER = (
    "model\theads\tkv_heads\thead_dim\twindow\tcausal\thidden_size\tintermediate_size\tmlp\tlayers\tvocab_size"
    "\tsource\n"
    "llama-3-8b\t32\t8\t128\tnone\ttrue\t4096\t14336\tgated\t32\t128256\tmeta-llama/Meta-Llama-3-8B\n"
    "phi-3-mini\t32\t32\t96\t2047\ttrue\tnone\tnone\tnone\tnone\tnone\tmicrosoft/Phi-3-mini-4k-instruct\n")


def test_models_are_read_from_attnbench_models():
    presets = frameworks.parse_models(MODELS)
    assert list(presets) == ["bert-base", "llama-3-8b", "mistral-7b"]
    assert {key: presets["llama-3-8b"][key] for key in ("heads", "kv_heads", "head_dim", "window", "causal")} == {
        "heads": 32, "kv_heads": 8, "head_dim": 128, "window": None, "causal": True}
    assert presets["mistral-7b"]["window"] == 4096 and presets["bert-base"]["causal"] is False
    layered = frameworks.parse_models(MODELS_WITH_LAYER)
    assert (layered["phi-3-mini"]["head_dim"], layered["phi-3-mini"]["window"]) == (96, 2047)
    with pytest.raises(ValueError, match="no column kv_heads"):
        frameworks.parse_models("model\theads\n")
    with pytest.raises(SystemExit, match="unknown model 'llama-4'"):
        frameworks.chosen_models("llama-4", presets)


def grid(*arguments, presets=None):
    return frameworks.shape_grid(frameworks.options().parse_args(list(arguments)), presets)


def test_a_model_gives_its_prefill_and_decode_shapes():
    presets = frameworks.parse_models(MODELS)
    prefill, decode = grid("--model", "llama-3-8b", "--seq-len", "2048", "--query-len", "seq,1", presets=presets)
    assert prefill == Shape(1, 32, 8, 2048, 2048, 128, True, None, "llama-3-8b")
    assert decode == Shape(1, 32, 8, 1, 2048, 128, True, None, "llama-3-8b")
    # Mistral's window 4096: at 2048 keys it hides nothing; at 16384 it is a real window.
    short, long = grid("--model", "mistral-7b", "--seq-len", "2048,16384", "--query-len", "1", presets=presets)
    assert (short.window, short.active_window, long.active_window) == (4096, None, 4096)
    # Explicit flags override the preset (as attnbench's do).
    assert grid("--model", "llama-3-8b", "--heads", "4", "--kv-heads", "2", "--head-dim", "32", "--seq-len", "64",
                presets=presets) == [Shape(1, 4, 2, 64, 64, 32, True, None, "llama-3-8b")]


def test_shapes_from_the_flags():
    assert grid("--seq-len", "64") == [Shape(1, 8, 8, 64, 64, 64, False)]
    shapes = grid("--seq-len", "64", "--kv-heads", "2", "--query-len", "seq,1", "--causal", "both", "--window",
                  "none,16")
    # A window is causal: 'off' with a window is the same shape as 'on' and is measured once.
    assert [(s.seq_len_q, s.causal, s.window) for s in shapes] == [
        (64, False, None), (64, True, None), (64, True, 16), (1, False, None), (1, True, None), (1, True, 16)]
    assert {s.kv_heads for s in shapes} == {2}
    with pytest.raises(SystemExit, match="--kv-heads 3 must divide --heads 8"):
        grid("--kv-heads", "3")


def test_attnbench_runs_the_same_shape_and_decode_at_decode_shapes():
    decode = Shape(1, 32, 8, 1, 16384, 128, True, 4096, "mistral-7b")
    command = frameworks.attnbench_command("attnbench", decode, 2, 7)
    options = dict(zip(command[2::2], command[3::2]))
    assert command[:2] == ["attnbench", "sweep"]
    assert options == {"--variants": "naive,flash2,fused,decode", "--batch": "1", "--heads": "32", "--kv-heads": "8",
                       "--seq-len": "16384", "--query-len": "1", "--head-dim": "128", "--window": "4096",
                       "--threads": "2", "--causal": "on", "--repetitions": "7", "--min-time": "0",
                       "--model": "mistral-7b"}
    cutoff = frameworks.DECODE_MAX_QUERY_LENGTH
    assert frameworks.attnbench_variants(Shape(1, 1, 1, cutoff, 64, 8, True)).endswith(",decode")
    assert frameworks.attnbench_variants(Shape(1, 1, 1, cutoff + 1, 64, 8, True)) == "naive,flash2,fused"
    assert "--model" not in frameworks.attnbench_command("a", Shape(1, 1, 1, 8, 8, 8, False), 1, 1)


def test_a_row_keeps_every_sample_and_attnbench_statistics():
    times = [0.5, 0.1, 0.3, 0.2, 0.4]
    columns = frameworks.timing_columns(times)
    assert columns["wall_times_s"] == "0.5 0.1 0.3 0.2 0.4"  # in the order they were taken
    for name, q in (("wall_time_median_s", 50), ("wall_time_p90_s", 90)):
        assert float(columns[name]) == pytest.approx(np.percentile(times, q))
    assert float(columns["wall_time_iqr_s"]) == pytest.approx(np.percentile(times, 75) - np.percentile(times, 25))
    assert (columns["wall_time_min_s"], columns["wall_time_max_s"], columns["repetitions"]) == ("0.1", "0.5", 5)
    shape = Shape(1, 4, 2, 1, 1000, 64, True)
    result = {"framework_version": "1", "framework_threads": 1, "devices": 1, "block_q": 0, "block_kv": 0,
              "block_search": "", "times": times, "cpu_per_wall": 1.0, "max_abs_error": 1e-7, "status": "ok",
              "path": "p", "kv_element_bytes": 2, "extra_peak_memory_bytes": None}
    row = frameworks.peer_row(frameworks.base_row(0, shape, 1, "cpu", "now"), "x", "y", result, shape)
    assert row["kv_bytes"] == 2 * 2 * 1000 * 64 * 2 and row["kv_read_gbps"] == f"{row['kv_bytes'] / 0.3 / 1e9:.4g}"
    assert row["gflops"] == f"{4 * 64 * 4 * 1000 / 0.3 / 1e9:.4g}" and set(row) <= set(frameworks.COLUMNS)


def test_onnxruntime_gqa_says_which_shapes_it_cannot_run():
    plan = frameworks.gqa_plan
    assert plan(Shape(1, 4, 2, 70, 70, 32, True), True, "x")[:2] == (False, None)
    assert plan(Shape(1, 4, 2, 1, 70, 32, True, 16), True, "x")[2] == "causal, local_window_size 16"
    assert plan(Shape(1, 4, 2, 1, 70, 32, False), False, "x")[:2] == (True, None)  # one row: the same either way
    assert plan(Shape(1, 4, 2, 70, 70, 32, False), True, "x")[:2] == (False, 0)
    with pytest.raises(frameworks.Unsupported, match="onnxruntime 1.17 is always causal"):
        plan(Shape(1, 4, 2, 70, 70, 32, False), False, "1.17")
    with pytest.raises(frameworks.Unsupported, match="only at batch 1"):
        plan(Shape(2, 4, 2, 5, 70, 32, True), True, "x")
    with pytest.raises(frameworks.Unsupported, match="whole blocks of 32"):
        frameworks.ggml_support("flash-attn-kv-q8_0", Shape(1, 1, 1, 4, 4, 8, True))
    frameworks.ggml_support("flash-attn-kv-f16", Shape(1, 1, 1, 4, 4, 8, True))


def test_a_peer_that_cannot_run_a_shape_still_has_its_row(tmp_path):
    # jax-flash-wholequery needs a key block dividing N (known before JAX is imported), q8_0 whole
    # blocks of 32: rows that say so, beside the rows of a runtime that is missing here.
    output = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--seq-len", "777", "--heads", "2", "--head-dim", "8",
                             "--threads", "1", "--rounds", "1", "--peers",
                             "jax-flash-wholequery,ggml-flash-attn-kv-q8_0", "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(output.open()))
    assert [(r["framework"], r["variant"]) for r in rows] == [("jax", "flash-wholequery"),
                                                              ("ggml", "flash-attn-kv-q8_0")]
    assert rows[0]["status"].startswith("unsupported: jax flash-wholequery needs a key block dividing seq_len 777")
    assert rows[1]["status"] == "unsupported: q8_0 K/V need head_dim in whole blocks of 32, got 8"
    assert all(r["gflops"] == "" and r["seq_len"] == "777" and r["kv_heads"] == "2" for r in rows)


FAKE_ATTNBENCH = f"""#!/usr/bin/env python3
import sys
if sys.argv[1] == "models":
    sys.stdout.write({MODELS!r})
else:
    print("schema_version,kind,variant")
"""


def test_model_presets_come_from_the_attnbench_given(tmp_path):
    binary = tmp_path / "attnbench"
    binary.write_text(FAKE_ATTNBENCH)
    binary.chmod(0o755)
    output = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--model", "llama-3-8b", "--seq-len", "32",
                             "--query-len", "seq,1", "--threads", "1", "--rounds", "1", "--peers", "jax-plain",
                             "--attnbench", str(binary), "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(output.open()))
    assert [(r["model"], r["heads"], r["kv_heads"], r["head_dim"], r["causal"], r["seq_len_q"], r["seq_len"])
            for r in rows] == [("llama-3-8b", "32", "8", "128", "true", "32", "32"),
                               ("llama-3-8b", "32", "8", "128", "true", "1", "32")]
    bad = subprocess.run([sys.executable, str(SCRIPT), "--model", "gpt-9", "--attnbench", str(binary),
                          "--output", str(tmp_path / "bad.csv")], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "unknown model 'gpt-9'" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad.csv").exists()


def test_precisions_choose_the_peers_of_a_type():
    everything = ",".join(frameworks.FRAMEWORKS)
    chosen = [f"{f}-{v}" for f, v in frameworks.selected_peers(everything, None, "bf16")]
    assert chosen == ["pytorch-sdpa-flash-bf16", "pytorch-sdpa-default-bf16", "jax-flash-tiled-bf16",
                      "jax-dot-product-attention-bf16", "jax-plain-bf16", "openvino-sdpa-bf16",
                      "ggml-flash-attn-kv-bf16"]
    assert [f"{f}-{v}" for f, v in frameworks.selected_peers("ggml", None, "q8_0,f16")] == [
        "ggml-flash-attn-kv-f16", "ggml-flash-attn-kv-q8_0"]
    assert len(frameworks.selected_peers(everything, None, "f32")) == 12
    with pytest.raises(SystemExit, match="--precisions: unknown type 'fp8'"):
        frameworks.selected_peers(everything, None, "fp8")


def test_attnbench_runs_the_peers_types_and_names_them_as_the_peers_do():
    shape = Shape(1, 8, 8, 64, 64, 64, False)
    command = frameworks.attnbench_command("attnbench", shape, 1, 3, "f32,bf16,f16", "same,f16,q8_0")
    options = dict(zip(command[2::2], command[3::2]))
    assert (options["--dtype"], options["--kv-dtype"]) == ("f32,bf16,f16", "same,f16,q8_0")
    assert "--dtype" not in frameworks.attnbench_command("attnbench", shape, 1, 3)
    base = {"round": 0}
    names = [frameworks.attnbench_output_row({"variant": "fused", "causal": "false", "dtype": d, "kv_dtype": k},
                                             base)["variant"]
             for d, k in (("f32", "f32"), ("bf16", "bf16"), ("f32", "q8_0"), ("f16", "q8_0"), ("", ""))]
    assert names == ["fused", "fused-bf16", "fused-kv-q8_0", "fused-f16-kv-q8_0", "fused"]
