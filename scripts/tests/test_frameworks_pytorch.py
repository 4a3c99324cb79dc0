"""scripts/frameworks.py's PyTorch peers in bf16 and fp16: SDPA with the flash backend forced and
with PyTorch's dispatch, on inputs converted once, checked against float64 on the inputs rounded to
that type. Each is run through the command on a tiny shape with .venv-peers/bin/python
(scripts/peers-venv.sh) when that environment has torch, and skipped otherwise."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "scripts" / "tests"))
import frameworks  # noqa: E402
from test_frameworks_runtimes import PEERS_PYTHON, has_modules, run_peer  # noqa: E402

NARROW_PEERS = ["pytorch-sdpa-flash-bf16", "pytorch-sdpa-flash-f16", "pytorch-sdpa-default-bf16",
                "pytorch-sdpa-default-f16"]


def test_the_narrow_peers_follow_the_fp32_ones():
    names = [name for name in frameworks.PEER_NAMES if name.startswith("pytorch")]
    assert names == ["pytorch-sdpa-flash", "pytorch-sdpa-math", "pytorch-sdpa-default"] + NARROW_PEERS
    for name in names:
        backend, precision = frameworks.PYTORCH_VARIANTS[name.split("-", 1)[1]]
        assert precision == (name.rsplit("-", 1)[1] if name.endswith(("bf16", "f16")) else "f32")
        assert backend == {"flash": "FLASH_ATTENTION", "math": "MATH", "default": None}[name.split("-")[2]]


@pytest.mark.parametrize("peer", NARROW_PEERS + ["pytorch-sdpa-flash"])
def test_pytorch_peer_runs_correct_on_a_tiny_shape(peer, tmp_path):
    if not has_modules(PEERS_PYTHON, "torch"):
        pytest.skip(f"{PEERS_PYTHON} with torch not found; scripts/peers-venv.sh creates it")
    rows, _ = run_peer(PEERS_PYTHON, peer, tmp_path)
    assert [(f"{r['framework']}-{r['variant']}", r["causal"]) for r in rows] == [(peer, "false"), (peer, "true")]
    backend, precision = frameworks.PYTORCH_VARIANTS[peer.split("-", 1)[1]]
    for r in rows:
        assert r["status"] == "ok", (r["status"], r["max_abs_error"], r["path"])
        assert float(r["max_abs_error"]) <= frameworks.error_tolerance(precision)
        assert r["framework_version"] and r["framework_threads"] == "1" and float(r["gflops"]) > 0
        if backend is None:
            assert r["path"].startswith(f"PyTorch's SDPA dispatch {precision} -> ")
        else:
            assert r["path"].startswith(f"sdpa_kernel({backend}) {precision}; ")
    assert "is_causal" in rows[1]["path"] and "is_causal" not in rows[0]["path"]
