"""attnbench eval on bf16, fp16 and q8_0 tensors against NumPy float64 attention on the rounded inputs.

The reference reads exactly the values attnbench reads (the bf16/fp16 values of the files, K and V
quantised to q8_0 by ggml's rule), so the error left is the kernel's own arithmetic and the output's
rounding: within the tolerance schema/constants.json gives for the output's type.
"""
import json
import os
import pathlib
import subprocess

import ml_dtypes
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("ATTNBENCH_BINARY", str(ROOT / ".build" / "release" / "attnbench"))
CONSTANTS = json.loads((ROOT / "schema" / "constants.json").read_text(encoding="utf-8"))
VARIANTS = ["naive", "chunked", "flash1", "flash2", "decode", "fused"]
NUMPY_TYPE = {"f32": np.float32, "f16": np.float16, "bf16": ml_dtypes.bfloat16}
TOLERANCE = {"f32": CONSTANTS["correctness_tolerance"], "f16": CONSTANTS["correctness_tolerance_f16"],
             "bf16": CONSTANTS["correctness_tolerance_bf16"]}


def quantize_q8_0(x):
    """x rounded as ggml's quantize_row_q8_0 stores it and dequantize_row_q8_0 reads it back."""
    blocks = x.astype(np.float32).reshape(*x.shape[:-1], -1, 32)
    amax = np.abs(blocks).max(axis=-1, keepdims=True)
    d = amax / np.float32(127)
    inverse = np.where(d != 0, np.float32(1) / np.where(d != 0, d, 1), 0).astype(np.float32)
    scaled = blocks * inverse
    codes = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5)), -128, 127)
    scale = d.astype(np.float16).astype(np.float32)
    return (scale * codes).reshape(x.shape).astype(np.float32)


def reference(q, k, v, causal, scale):
    """Float64 attention with grouped K/V heads (each K/V head serves heads/kv_heads query heads)."""
    group = q.shape[1] // k.shape[1]
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    scores = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    nq, nk = q.shape[2], k.shape[2]
    if causal:
        visible = np.arange(nk)[None, :] <= np.arange(nq)[:, None] + (nk - nq)
        scores = np.where(visible[None, None], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.einsum("bhqk,bhkd->bhqd", weights, v) / weights.sum(axis=-1, keepdims=True)


CASES = [
    # (id, batch, heads, kv_heads, seq_q, seq_kv, head_dim, causal, dtype, kv file dtype, --kv-dtype)
    ("bf16", 2, 4, 2, 37, 70, 64, True, "bf16", "bf16", None),
    ("f16", 1, 3, 3, 65, 65, 40, False, "f16", "f16", None),
    ("f16-decode", 2, 8, 2, 1, 300, 128, True, "f16", "f16", None),
    ("bf16-q8_0", 1, 4, 1, 1, 257, 64, True, "bf16", "f32", "q8_0"),
    ("f32-q8_0", 1, 2, 2, 50, 90, 96, True, "f32", "f32", "q8_0"),
    ("bf16-kv-f16", 1, 2, 1, 33, 33, 32, True, "bf16", "f16", None),
]


def load(path, dtype):
    """An .npy attnbench wrote; a bfloat16 array comes back from np.load as 2-byte voids, viewed as bfloat16."""
    array = np.load(path)
    return array.view(ml_dtypes.bfloat16) if dtype == "bf16" and array.dtype.kind == "V" else array


def save(path, array, dtype, as_bits=False):
    stored = array.astype(NUMPY_TYPE[dtype])
    np.save(path, stored.view(np.uint16) if as_bits else stored)
    return stored.astype(np.float32)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
@pytest.mark.parametrize("variant", VARIANTS)
def test_eval_types_match_numpy(tmp_path, case, variant):
    name, b, h, hkv, nq, nk, d, causal, dtype, kv_file, kv_flag = case
    rng = np.random.default_rng(CASES.index(case) * 101 + VARIANTS.index(variant))
    q = save(tmp_path / "q.npy", rng.uniform(-1, 1, (b, h, nq, d)), dtype)
    k = save(tmp_path / "k.npy", rng.uniform(-1, 1, (b, hkv, nk, d)), kv_file)
    v = save(tmp_path / "v.npy", rng.uniform(-1, 1, (b, hkv, nk, d)), kv_file)
    if kv_flag == "q8_0":
        k, v = quantize_q8_0(k), quantize_q8_0(v)
    args = [BINARY, "eval", "--variant", variant, "--query", "q.npy", "--key", "k.npy", "--value", "v.npy",
            "--output", "o.npy"] + (["--causal"] if causal else []) + (["--kv-dtype", kv_flag] if kv_flag else [])
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = load(tmp_path / "o.npy", dtype)
    assert out.dtype == np.dtype(NUMPY_TYPE[dtype]) and out.shape == (b, h, nq, d)
    expected = reference(q, k, v, causal, 1 / np.sqrt(d))
    error = np.abs(out.astype(np.float64) - expected)
    assert np.all(np.isfinite(out.astype(np.float32)))
    assert error.max() <= TOLERANCE[dtype], f"{variant} {name}: max error {error.max()}"


def test_bit_patterns_read_with_dtype_bf16_match_the_bfloat16_file(tmp_path):
    rng = np.random.default_rng(5)
    arrays = {n: rng.uniform(-1, 1, (1, 2, 20, 16)) for n in "qkv"}
    outputs = []
    for bits in (False, True):
        for n, a in arrays.items():
            save(tmp_path / f"{n}.npy", a, "bf16", as_bits=bits)
        args = [BINARY, "eval", "--variant", "flash2", "--query", "q.npy", "--key", "k.npy", "--value", "v.npy",
                "--output", "o.npy"] + (["--dtype", "bf16"] if bits else [])
        result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        out = np.load(tmp_path / "o.npy")
        assert out.dtype == (np.uint16 if bits else np.dtype("V2"))
        outputs.append(out.view(np.uint16))
    assert np.array_equal(outputs[0], outputs[1])


@pytest.mark.parametrize("flags, files, message", [
    (["--dtype", "bf16"], ("f16", "f16"), "--dtype bf16"),
    (["--kv-dtype", "q8_0"], ("f32", "f32", 40), "--kv-dtype: q8_0"),
    ([], ("bits", "bits"), "'<u2' holds 16-bit patterns"),
    (["--kv-dtype", "f16"], ("f32", "bf16"), "--key 'k.npy' holds bf16"),
    (["--dtype", "q8_0"], ("f32", "f32"), "--kv-dtype q8_0"),
    (["--dtype", "f8"], ("f32", "f32"), "--dtype"),
])
def test_type_disagreements_are_one_line_and_exit_2(tmp_path, flags, files, message):
    query_type, kv_type, d = (*files, 64)[:3]
    rng = np.random.default_rng(9)
    for n, t in (("q", query_type), ("k", kv_type), ("v", kv_type)):
        data = rng.uniform(-1, 1, (1, 2, 8, d))
        if t == "bits":
            save(tmp_path / f"{n}.npy", data, "bf16", as_bits=True)
        else:
            save(tmp_path / f"{n}.npy", data, t)
    args = [BINARY, "eval", "--variant", "flash2", "--query", "q.npy", "--key", "k.npy", "--value", "v.npy",
            "--output", "o.npy"] + flags
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 2, result.stderr
    assert not (tmp_path / "o.npy").exists()
