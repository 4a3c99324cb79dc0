"""scripts/frameworks.py's ggml peers: one `ggml_flash_attn_ext` node with Q in fp32 and K and V in
fp16, fp32, q8_0 or bf16, causal through its mask. Each is run through the command on a tiny shape
with .venv-peers/bin/python (scripts/peers-venv.sh) when that environment has ggml-python, and
skipped otherwise; the system Python, without it, gives rows that say ggml is missing."""
import csv
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "scripts" / "tests"))
import frameworks  # noqa: E402
from test_frameworks_runtimes import PEERS_PYTHON, SCRIPT, has_modules, run_peer  # noqa: E402

GGML_PEERS = ["ggml-flash-attn-kv-f16", "ggml-flash-attn-kv-f32", "ggml-flash-attn-kv-q8_0", "ggml-flash-attn-kv-bf16"]


def test_the_ggml_peers_come_last():
    assert frameworks.PEER_NAMES[-4:] == GGML_PEERS
    assert frameworks.selected_peers("ggml", None) == [tuple(name.split("-", 1)) for name in GGML_PEERS]
    assert frameworks.GGML_VARIANTS == {"flash-attn-kv-f16": "f16", "flash-attn-kv-f32": "f32",
                                        "flash-attn-kv-q8_0": "q8_0", "flash-attn-kv-bf16": "bf16"}


def test_ggml_not_installed_gives_rows_that_name_it(tmp_path):
    if has_modules(sys.executable, "ggml"):
        pytest.skip(f"{sys.executable} has ggml")
    output = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--seq-len", "16", "--heads", "2", "--head-dim", "8",
                             "--threads", "1", "--rounds", "1", "--frameworks", "ggml", "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(output.open()))
    assert [f"{r['framework']}-{r['variant']}" for r in rows] == GGML_PEERS
    # q8_0 needs whole blocks of 32 along head_dim: known without ggml, so its row says that instead.
    assert [r["status"] for r in rows] == ["missing: ggml"] * 2 + [
        "unsupported: q8_0 K/V need head_dim in whole blocks of 32, got 8", "missing: ggml"]


@pytest.mark.parametrize("peer", GGML_PEERS)
def test_ggml_peer_runs_correct_on_a_tiny_shape(peer, tmp_path):
    if not has_modules(PEERS_PYTHON, "ggml"):
        pytest.skip(f"{PEERS_PYTHON} with ggml-python not found; scripts/peers-venv.sh creates it")
    rows, _ = run_peer(PEERS_PYTHON, peer, tmp_path, head_dim=32 if peer.endswith("q8_0") else 8)
    assert [(f"{r['framework']}-{r['variant']}", r["causal"]) for r in rows] == [(peer, "false"), (peer, "true")]
    element = frameworks.GGML_VARIANTS[peer.split("-", 1)[1]]
    for r in rows:
        assert r["status"] == "ok", (r["status"], r["max_abs_error"], r["path"])
        assert float(r["max_abs_error"]) <= frameworks.error_tolerance(element)
        assert r["framework_version"] and r["framework_threads"] == "1" and float(r["gflops"]) > 0
        assert r["path"].startswith(f"ggml_flash_attn_ext Q f32, K/V {element}")
    assert "causal mask" in rows[1]["path"] and "causal mask" not in rows[0]["path"]
