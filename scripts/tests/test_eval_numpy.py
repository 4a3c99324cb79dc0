"""attnbench eval against NumPy float64 attention, on shapes the Swift tests do not use.

Every variant must match within 1e-5 absolute for unit-scale inputs (uniform in [-1, 1)).
"""
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("ATTNBENCH_BINARY", str(ROOT / ".build" / "release" / "attnbench"))
VARIANTS = ["naive", "chunked", "flash1", "flash2", "decode"]
TOLERANCE = 1e-5


def reference(q, k, v, causal, key_lengths, scale):
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    scores = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    nq, nk = q.shape[2], k.shape[2]
    visible = np.ones((q.shape[0], 1, nq, nk), dtype=bool)
    if causal:
        visible &= (np.arange(nk)[None, :] <= np.arange(nq)[:, None] + (nk - nq))[None, None]
    if key_lengths is not None:
        visible &= (np.arange(nk)[None, :] < np.array(key_lengths)[:, None])[:, None, None, :]
    scores = np.where(visible, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0)
    weights = np.where(visible, np.exp(scores - row_max), 0)
    sums = weights.sum(axis=-1, keepdims=True)
    out = np.einsum("bhqk,bhkd->bhqd", weights, v) / np.where(sums > 0, sums, 1)
    return np.where(sums > 0, out, 0)


CASES = [
    # (batch, heads, seq_q, seq_kv, head_dim, causal, key_lengths, block_q, block_kv, scale)
    (1, 1, 1, 1, 3, False, None, 64, 128, None),
    (2, 3, 91, 91, 40, True, None, 24, 40, None),
    (1, 2, 1, 777, 96, False, None, 1, 96, None),
    (3, 1, 50, 141, 33, True, [141, 60, 1], 17, 1000, 0.3),
    (2, 2, 200, 37, 72, True, None, 48, 16, None),
    (1, 4, 129, 129, 128, False, [100], 128, 129, None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "B{}H{}q{}k{}d{}{}".format(*c[:5], "c" if c[5] else ""))
@pytest.mark.parametrize("variant", VARIANTS)
def test_eval_matches_numpy(tmp_path, case, variant):
    b, h, nq, nk, d, causal, key_lengths, block_q, block_kv, scale = case
    rng = np.random.default_rng(sum(x for x in case[:5]) * 7919 + CASES.index(case))
    tensors = {
        "q": rng.uniform(-1, 1, (b, h, nq, d)).astype(np.float32),
        "k": rng.uniform(-1, 1, (b, h, nk, d)).astype(np.float32),
        "v": rng.uniform(-1, 1, (b, h, nk, d)).astype(np.float32),
    }
    for name, array in tensors.items():
        np.save(tmp_path / f"{name}.npy", array)
    args = [BINARY, "eval", "--variant", variant, "--query", "q.npy", "--key", "k.npy", "--value", "v.npy",
            "--output", "o.npy", "--block-q", str(block_q), "--block-kv", str(block_kv)]
    if causal:
        args.append("--causal")
    if key_lengths is not None:
        args += ["--key-lengths", ",".join(map(str, key_lengths))]
    if scale is not None:
        args += ["--scale", str(scale)]
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = np.load(tmp_path / "o.npy")
    assert out.dtype == np.float32 and out.shape == (b, h, nq, d)
    expected = reference(tensors["q"], tensors["k"], tensors["v"], causal, key_lengths,
                         scale if scale is not None else 1 / np.sqrt(d))
    error = np.abs(out.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(error), error.shape)
    assert np.all(np.isfinite(out))
    assert error.max() <= TOLERANCE, (
        f"{variant} {case}: max error {error.max()} at {worst}: expected {expected[worst]} actual {out[worst]}")
