"""The seeded inputs (and their rounding to bf16, f16 or q8_0 for a peer that computes in one) and
the float64 reference every peer output is checked against, grouped-query and bottom-right aligned
as shapes.Shape defines them."""

import math
import platform

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# The seed of the inputs: attnbench's default (--seed), recorded in attnbench-schema rows.
INPUT_SEED = 24301


def inputs(np, batch, heads, n, d, seed=INPUT_SEED, kv_heads=None, seq_len_q=None):
    """Q [B, H, Nq, d], K and V [B, H_kv, N, d], uniform in [-1, 1], float32, drawn in that order
    (with H_kv = H and Nq = N: the same arrays as before grouped-query shapes existed)."""
    rng = np.random.default_rng(seed)
    q_shape = (batch, heads, n if seq_len_q is None else seq_len_q, d)
    kv_shape = (batch, heads if kv_heads is None else kv_heads, n, d)
    return [rng.uniform(-1, 1, shape).astype(np.float32) for shape in (q_shape, kv_shape, kv_shape)]


def shape_inputs(np, shape, seed=INPUT_SEED):
    return inputs(np, shape.batch, shape.heads, shape.seq_len, shape.head_dim, seed, shape.kv_heads,
                  shape.seq_len_q)


Q8_0_BLOCK = 32


def q8_0_blocks(np, x):
    """ggml's q8_0 of float32 x along its last axis (a multiple of 32), as quantize_row_q8_0_ref does:
    per block of 32, d = max|x|/127 (fp32), codes = round(x·(1/d)) half away from zero, and the
    scale stored as fp16(d). Returns (codes as float32, fp16 scales as float32 [..., blocks, 1])."""
    if x.shape[-1] % Q8_0_BLOCK:
        raise ValueError(f"q8_0 needs the last axis ({x.shape[-1]}) in whole blocks of {Q8_0_BLOCK}")
    blocks = np.ascontiguousarray(x, dtype=np.float32).reshape(*x.shape[:-1], -1, Q8_0_BLOCK)
    d = (np.abs(blocks).max(-1, keepdims=True) / np.float32(127)).astype(np.float32)
    inverse = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d > 0).astype(np.float32)
    scaled = (blocks * inverse).astype(np.float32)
    codes = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    return codes.astype(np.float32), d.astype(np.float16).astype(np.float32)


def rounded(np, x, precision):
    """float32 x rounded to the nearest `precision` value (ties to even) and back: what a peer computing
    in bf16 or f16 sees of its inputs; q8_0: dequantised codes·scale (q8_0_blocks). f32 leaves x."""
    if precision == "f16":
        return x.astype(np.float16).astype(np.float32)
    if precision == "bf16":  # the upper 16 bits of the float32, rounded to nearest even (finite x)
        bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
        return bits.astype(np.uint32).view(np.float32).reshape(x.shape)
    if precision == "q8_0":
        codes, scales = q8_0_blocks(np, x)
        return (codes * scales).reshape(x.shape).astype(np.float32)
    if precision != "f32":
        raise ValueError(f"unknown precision {precision!r}")
    return x


def rounded_inputs(np, arrays, precision):
    return [rounded(np, x, precision) for x in arrays]


def reference_rows(np, q, k, v, causal, rows, slice_index=(0, 0), window=None):
    """float64 attention for a few query rows of one (batch, query head) slice: K/V head h // G,
    row i aligned with key i + (Nk − Nq), causal and sliding-window masks as in shapes.Shape."""
    b, h = slice_index
    shape = Shape(q.shape[0], q.shape[1], k.shape[1], q.shape[2], k.shape[2], q.shape[3], causal or window is not None,
                  window)
    q64 = q[b, h].astype(np.float64)
    k64, v64 = (x[b, h // shape.group].astype(np.float64) for x in (k, v))
    out = {}
    for r in rows:
        first, end = shape.key_range(r)
        if end <= first:  # no visible key: zeros, as attnbench defines it
            out[r] = np.zeros(q64.shape[-1])
            continue
        s = k64[first:end] @ q64[r] / math.sqrt(shape.head_dim)
        p = np.exp(s - s.max())
        out[r] = (p / p.sum()) @ v64[first:end]
    return out


def check_points(batch, heads, n):
    """(slice, rows) checked against float64: rows 0, Nq/2, Nq-1 of the first and the last slice."""
    rows = sorted({0, n // 2, n - 1})
    return sorted({(0, 0), (batch - 1, heads - 1)}), rows


def max_abs_error(np, result, q, k, v, causal, window=None):
    """Largest |result - float64| over check_points; inf when the result has a NaN there."""
    batch, heads, n, _ = q.shape
    slices, rows = check_points(batch, heads, n)
    error = 0.0
    for s in slices:
        expected = reference_rows(np, q, k, v, causal, rows, s, window)
        for r in rows:
            difference = np.abs(np.asarray(result[s[0], s[1], r], dtype=np.float64) - expected[r])
            error = max(error, float(difference.max()) if np.all(np.isfinite(difference)) else math.inf)
    return error
