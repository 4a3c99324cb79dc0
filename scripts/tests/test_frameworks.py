"""scripts/frameworks.py without PyTorch or JAX: its FLOP count, its reference, its input checks.

The measurements themselves need PyTorch and JAX, which attnbench does not depend on; README
shows a run of them.
"""
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import frameworks  # noqa: E402

SCRIPT = ROOT / "scripts" / "frameworks.py"


def test_useful_flops_match_attnbench():
    assert frameworks.useful_flops(1, 8, 4096, 64, False) == 4 * 8 * 4096 * 4096 * 64
    # Causal counts visible pairs only, N(N+1)/2, as AttentionFLOPs does.
    assert frameworks.useful_flops(2, 3, 5, 7, True) == 4 * 2 * 3 * 15 * 7


def test_reference_rows_match_a_direct_softmax():
    q, k, v = frameworks.inputs(np, 1, 1, 9, 4, seed=5)
    for causal in (False, True):
        rows = frameworks.reference_rows(np, q, k, v, causal, [0, 4, 8])
        for r, out in rows.items():
            s = (q[0, 0, r].astype(np.float64) @ k[0, 0].astype(np.float64).T) / math.sqrt(4)
            if causal:
                s = s[: r + 1]
            w = np.exp(s - s.max())
            expected = (w / w.sum()) @ v[0, 0, : len(s)].astype(np.float64)
            np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    # Row 0 under the causal mask sees only key 0: its output is v[0].
    assert np.allclose(frameworks.reference_rows(np, q, k, v, True, [0])[0], v[0, 0, 0])


@pytest.mark.parametrize("arguments, mentions", [
    (["--threads", "0"], "--threads"),
    (["--threads", "1,x"], "--threads"),
    (["--seq-len", ""], "--seq-len"),
    (["--frameworks", "tensorflow"], "tensorflow"),
    (["--attnbench", "/nonexistent/attnbench"], "--attnbench"),
    (["--threads", "4096"], "exceeds"),
])
def test_bad_input_is_one_clear_line_and_nonzero(arguments, mentions, tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT)] + arguments + ["--output", str(tmp_path / "out.csv")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert mentions in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists(), "no half-written file on bad input"
