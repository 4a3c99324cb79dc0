"""Every peer on grouped-query, decode and sliding-window shapes: B1 H4 H_kv 2, N 70, d 32, causal on
and off, prefill (Nq = 70) and one-token decode (Nq = 1), and a window of 20 keys, each output within
its own error check. Run through the command with .venv-peers/bin/python (scripts/peers-venv.sh)
when that environment has the peer's runtime, and skipped otherwise. Also: the reference's q8_0 is
bit for bit what ggml's own quantisation stores."""
import csv
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "scripts" / "tests"))
import frameworks  # noqa: E402
from test_frameworks_runtimes import PEERS_PYTHON, SCRIPT, has_modules  # noqa: E402

MODULES = {"pytorch": "torch", "jax": "jax", "openvino": "openvino", "onnxruntime": "onnx, onnxruntime",
           "ggml": "ggml"}

# (seq_len_q, causal, window) of the rows, in the order the command writes them.
SHAPES = [("70", "false", ""), ("70", "true", ""), ("70", "true", "20"), ("1", "false", ""), ("1", "true", ""),
          ("1", "true", "20")]


@pytest.mark.parametrize("peer", frameworks.PEER_NAMES)
def test_peer_is_correct_on_grouped_decode_and_windowed_shapes(peer, tmp_path):
    modules = MODULES[peer.split("-", 1)[0]]
    if not has_modules(PEERS_PYTHON, modules):
        pytest.skip(f"{PEERS_PYTHON} with {modules} not found; scripts/peers-venv.sh creates it")
    output = tmp_path / "out.csv"
    result = subprocess.run([str(PEERS_PYTHON), str(SCRIPT), "--heads", "4", "--kv-heads", "2", "--seq-len", "70",
                             "--query-len", "seq,1", "--head-dim", "32", "--causal", "both", "--window", "none,20",
                             "--threads", "1", "--rounds", "1", "--repetitions", "2", "--jax-block-q", "32",
                             "--jax-block-kv", "35", "--peers", peer, "--output", str(output)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(output.open()))
    assert [(r["seq_len_q"], r["causal"], r["window"]) for r in rows] == SHAPES
    for r in rows:
        assert r["status"] == "ok", (r["seq_len_q"], r["causal"], r["window"], r["status"], r["max_abs_error"],
                                     r["path"])
        assert (r["heads"], r["kv_heads"], r["seq_len"]) == ("4", "2", "70")
        assert float(r["kv_read_gbps"]) > 0 and int(r["kv_bytes"]) > 0
        assert len(r["wall_times_s"].split()) == int(r["repetitions"]) == 2
    decode = [r for r in rows if r["seq_len_q"] == "1"]
    # The window leaves the last 20 of the 70 keys to read.
    assert int(decode[2]["kv_bytes"]) * 70 == int(decode[1]["kv_bytes"]) * 20


def test_reference_q8_0_is_what_ggml_stores():
    if not has_modules(PEERS_PYTHON, "ggml"):
        pytest.skip(f"{PEERS_PYTHON} with ggml-python not found; scripts/peers-venv.sh creates it")
    program = f"""
import ctypes, sys
import numpy as np
sys.path.insert(0, {str(ROOT / "scripts")!r})
import ggml
from peers import reference
x = np.random.default_rng(5).uniform(-1, 1, (64, 128)).astype(np.float32)
x[3] = 0.0
stored = np.zeros(x.size // 32 * 34, np.uint8)
ggml.ggml_quantize_chunk(ggml.GGML_TYPE_Q8_0, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                         stored.ctypes.data_as(ctypes.c_void_p), 0, 64, 128, None)
blocks = stored.reshape(-1, 34)
scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
codes = blocks[:, 2:].view(np.int8).astype(np.float32)
ours = reference.q8_0_blocks(np, x)
assert np.array_equal(ours[0].reshape(-1, 32), codes), "codes"
assert np.array_equal(ours[1].reshape(-1, 1), scales), "scales"
assert np.array_equal(reference.rounded(np, x, "q8_0"), (codes * scales).reshape(x.shape)), "values"
print("same")
"""
    result = subprocess.run([str(PEERS_PYTHON), "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "same", result.stderr
