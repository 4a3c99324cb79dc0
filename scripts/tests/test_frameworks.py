"""scripts/frameworks.py without PyTorch or JAX: its FLOP count, its float64 reference, its input
checks, and the key blocks the tiled flash loop visits and masks per query block.

The measurements themselves need PyTorch and JAX, which attnbench does not depend on; they live in
.venv-peers (scripts/peers-venv.sh), and README shows a run of them.
"""
import csv
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
    (["--peers", "jax-nope"], "jax-nope"),
    (["--frameworks", "pytorch", "--peers", "jax-plain"], "--peers"),
    (["--jax-block-q", "0"], "--jax-block-q"),
    (["--jax-block-kv", "64,x"], "--jax-block-kv"),
    (["--rounds", "0"], "--rounds"),
    (["--tune-repetitions", "0"], "--tune-repetitions"),
    (["--kv-heads", "3"], "--kv-heads 3 must divide --heads 8"),
    (["--kv-heads", "0"], "--kv-heads"),
    (["--query-len", "5000"], "--query-len"),
    (["--query-len", "half"], "--query-len"),
    (["--window", "0"], "--window"),
    (["--heads", "0"], "--heads"),
])
def test_bad_input_is_one_clear_line_and_nonzero(arguments, mentions, tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT)] + arguments + ["--output", str(tmp_path / "out.csv")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert mentions in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists(), "no half-written file on bad input"


# ---- Tiled flash: which key blocks each query block visits ----------------------------------

def visibility(n, bq, bk, i, j, causal):
    """(any, all) visible over the real rows of query block i and the real keys of key block j."""
    rows = np.arange(i * bq, min((i + 1) * bq, n))[:, None]
    cols = np.arange(j * bk, min((j + 1) * bk, n))[None, :]
    visible = np.broadcast_to(cols <= rows if causal else True, (rows.size, cols.size))
    return bool(visible.any()), bool(visible.all())


@pytest.mark.parametrize("causal", [False, True])
def test_key_block_range_visits_exactly_the_blocks_with_visible_pairs_and_masks_only_where_needed(causal):
    rng = np.random.default_rng(7)
    cases = [(512, 128, 128), (777, 128, 256), (777, 256, 128), (100, 64, 64), (5, 512, 512), (1, 1, 1)]
    cases += [tuple(int(x) for x in rng.integers(1, 300, 3)) for _ in range(40)]
    for n, block_q, block_kv in cases:
        bq, bk = frameworks.clamp_blocks(n, block_q, block_kv)
        nk = frameworks.block_count(n, bk)
        for i in range(frameworks.block_count(n, bq)):
            full, visited = frameworks.key_block_range(i, bq, bk, n, causal)
            case = f"N={n} Bq={bq} Bk={bk} causal={causal} query block {i}: full={full} visited={visited}"
            assert 0 <= full <= visited <= nk, case
            for j in range(nk):
                any_visible, all_visible = visibility(n, bq, bk, i, j, causal)
                if j < full:
                    assert all_visible, f"{case}: key block {j} runs unmasked but has hidden pairs"
                elif j < visited:
                    assert any_visible, f"{case}: key block {j} is visited but wholly hidden"
                else:
                    assert not any_visible, f"{case}: key block {j} is skipped but has visible pairs"
            # Padded keys (a ragged last block) are always masked.
            if n % bk:
                assert full < nk or visited < nk, case


def test_causal_square_blocks_visit_the_lower_triangle_and_mask_the_diagonal():
    n, block = 4096, 256
    blocks = n // block
    visits = [frameworks.key_block_range(i, block, block, n, True) for i in range(blocks)]
    assert visits == [(i, i + 1) for i in range(blocks)]  # i unmasked blocks, then the diagonal
    assert sum(v for _, v in visits) == blocks * (blocks + 1) // 2  # 136 of 256 blocks
    # Non-causal visits all 16, none masked; a ragged N masks only the last.
    assert frameworks.key_block_range(3, block, block, n, False) == (16, 16)
    assert frameworks.key_block_range(3, block, block, 4000, False) == (15, 16)


def test_causal_unequal_blocks():
    # Bq = 256, Bk = 128: rows 256..511 see key blocks 0, 1 whole and cross blocks 2, 3.
    assert frameworks.key_block_range(1, 256, 128, 4096, True) == (2, 4)
    # Bq = 128, Bk = 256: rows 128..255 lie inside key block 0, which is masked.
    assert frameworks.key_block_range(1, 128, 256, 4096, True) == (0, 1)
    # Last, ragged query block of N = 777, Bq = 256: rows 768..776.
    assert frameworks.key_block_range(3, 256, 256, 777, True) == (3, 4)
