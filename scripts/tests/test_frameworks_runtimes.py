"""scripts/frameworks.py's OpenVINO and ONNX Runtime peers, and what every peer row now carries:
the tolerance of a peer that computes in bf16 or f16 and the rounding of its inputs, the extra peak
memory of the first call, and the rows of a runtime that is not installed.

Each new peer is run through the command on a tiny shape with .venv-peers/bin/python
(scripts/peers-venv.sh) when that environment has its runtime, and skipped otherwise; the system
Python never has them.
"""
import csv
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import frameworks  # noqa: E402

SCRIPT = ROOT / "scripts" / "frameworks.py"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
MODULES = {"openvino": "openvino", "onnxruntime": "onnx, onnxruntime"}
NEW_PEERS = [f"{f}-{v}" for f, v in frameworks.PEERS if f in MODULES]


def test_the_new_peers_are_listed_under_their_frameworks():
    assert NEW_PEERS == ["openvino-sdpa-f32", "openvino-sdpa-bf16", "openvino-sdpa-f16", "onnxruntime-mha",
                         "onnxruntime-mha-f16", "onnxruntime-attention23", "onnxruntime-attention23-f16",
                         "onnxruntime-gqa", "onnxruntime-gqa-f16"]
    assert frameworks.FRAMEWORKS == ["pytorch", "jax", "openvino", "onnxruntime", "ggml"]
    assert frameworks.selected_peers("openvino,onnxruntime", None) == [
        tuple(name.split("-", 1)) for name in NEW_PEERS]
    assert frameworks.selected_peers(",".join(frameworks.FRAMEWORKS), "onnxruntime-mha") == [("onnxruntime", "mha")]


def test_tolerance_is_scaled_to_the_unit_roundoff():
    assert frameworks.error_tolerance() == frameworks.ERROR_TOLERANCE == 1e-4
    assert frameworks.error_tolerance("f32") == frameworks.ERROR_TOLERANCE
    assert frameworks.error_tolerance("bf16") == 2.0 ** -8 * 4
    assert frameworks.error_tolerance("f16") == 2.0 ** -11 * 4


def test_rounding_to_bf16_and_f16_is_to_nearest_even():
    x = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -2.5, 0.0, 3.14159], np.float32)
    # bf16 keeps 8 significand bits: the spacing at 1 is 2^-7; ties go to the even neighbour.
    assert frameworks.rounded(np, x, "bf16").tolist() == [1.0, 1.0, 1 + 2 ** -6, 1 + 2 ** -7, -2.5, 0.0, 3.140625]
    assert frameworks.rounded(np, x, "f16").tolist() == x.astype(np.float16).astype(np.float32).tolist()
    assert frameworks.rounded(np, x, "f32") is x
    q = frameworks.inputs(np, 1, 2, 64, 8)[0]
    for precision in ("bf16", "f16"):
        r = frameworks.rounded(np, q, precision)
        assert r.shape == q.shape and r.dtype == np.float32
        assert np.all(np.abs(r - q) <= frameworks.UNIT_ROUNDOFF[precision] * np.abs(q))
    with pytest.raises(ValueError, match="f8"):
        frameworks.rounded(np, q, "f8")


def test_extra_peak_bytes_sees_what_a_call_allocates_and_frees():
    def call():
        block = np.ones(64 * 2 ** 20 // 8)  # 64 MiB, touched, freed on return
        return float(block[-1])

    result, extra = frameworks.extra_peak_bytes(call)
    if extra is None:
        pytest.skip("this system has no /proc/self/clear_refs to reset the peak resident set")
    assert result == 1.0
    assert 60 * 2 ** 20 <= extra < 200 * 2 ** 20
    assert frameworks.extra_peak_bytes(lambda: None)[1] < 16 * 2 ** 20


def test_missing_package_names_the_top_level_package():
    assert frameworks.missing_package("ModuleNotFoundError: No module named 'openvino'") == "openvino"
    assert frameworks.missing_package("ModuleNotFoundError: No module named 'onnx.defs'") == "onnx"
    assert frameworks.missing_package("ValueError: bad block") is None


def has_modules(python, modules):
    if not pathlib.Path(python).exists():
        return False
    return subprocess.run([str(python), "-c", f"import {modules}"], capture_output=True).returncode == 0


def run_peer(python, peer, tmp_path, causal="both", head_dim=8, extra=()):
    output = tmp_path / "out.csv"
    result = subprocess.run([str(python), str(SCRIPT), "--batch", "1", "--heads", "2", "--seq-len", "16",
                             "--head-dim", str(head_dim), "--threads", "1", "--causal", causal, "--peers", peer,
                             "--rounds", "1", "--repetitions", "2", *extra, "--output", str(output)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return list(csv.DictReader(output.open())), result.stderr


@pytest.mark.parametrize("framework", sorted(MODULES))
def test_a_runtime_not_installed_gives_rows_that_name_it(framework, tmp_path):
    if has_modules(sys.executable, MODULES[framework]):
        pytest.skip(f"{sys.executable} has {MODULES[framework]}")
    output = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--seq-len", "16", "--heads", "2", "--head-dim", "8",
                             "--threads", "1", "--rounds", "1", "--frameworks", framework, "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = list(csv.DictReader(output.open()))
    assert [f"{r['framework']}-{r['variant']}" for r in rows] == [p for p in NEW_PEERS if p.startswith(framework)]
    for r in rows:
        assert re.fullmatch(r"missing: (openvino|onnx|onnxruntime)", r["status"]), r["status"]
        assert r["gflops"] == "" and r["seq_len"] == "16"


def precision_run(row):
    """The type a row's peer computed in: what OpenVINO's hint became, or ONNX Runtime's element type."""
    if row["framework"] == "openvino":
        return re.search(r"-> (\w+)", row["path"]).group(1)
    return frameworks.ONNXRUNTIME_VARIANTS[row["variant"]][1]


@pytest.mark.parametrize("peer", NEW_PEERS)
def test_new_peer_runs_correct_on_a_tiny_shape(peer, tmp_path):
    modules = MODULES[peer.split("-", 1)[0]]
    if not has_modules(PEERS_PYTHON, modules):
        pytest.skip(f"{PEERS_PYTHON} with {modules} not found; scripts/peers-venv.sh creates it")
    rows, stderr = run_peer(PEERS_PYTHON, peer, tmp_path)
    assert [(f"{r['framework']}-{r['variant']}", r["causal"]) for r in rows] == [(peer, "false"), (peer, "true")]
    for r in rows:
        assert r["status"] == "ok", (r["status"], r["max_abs_error"], r["path"])
        assert float(r["max_abs_error"]) <= frameworks.error_tolerance(precision_run(r))
        assert r["extra_peak_memory_bytes"].isdigit() and int(r["extra_peak_memory_bytes"]) >= 0
        assert r["framework_version"] and r["path"] and r["framework_threads"] == "1"
        assert float(r["gflops"]) > 0
    if peer.startswith("openvino"):
        assert "INFERENCE_PRECISION_HINT " + peer.rsplit("-", 1)[1] + " -> " in rows[0]["path"]
    else:
        operator = frameworks.ONNXRUNTIME_VARIANTS[peer.split("-", 1)[1]][0]
        assert rows[0]["path"].startswith(operator) and "CPUExecutionProvider" in rows[0]["path"]
        if operator == "GroupQueryAttention":  # always given: causal, or causal=0 (bidirectional)
            assert "; causal;" in rows[1]["path"] and "; causal=0 (bidirectional);" in rows[0]["path"]
        else:
            flag = {"MultiHeadAttention": "unidirectional", "Attention": "is_causal"}[operator]
            assert flag in rows[1]["path"] and flag not in rows[0]["path"]
