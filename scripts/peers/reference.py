"""The useful-FLOP count, the seeded inputs (and their rounding to bf16 or f16 for a peer that
computes in one) and the float64 reference every peer output is checked against."""

import math
import platform

from .constants import *  # noqa: F401,F403


def useful_flops(batch, heads, n, d, causal):
    pairs = n * (n + 1) // 2 if causal else n * n
    return float(FLOPS_PER_VISIBLE_SCORE) * batch * heads * pairs * d


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def inputs(np, batch, heads, n, d, seed=24301):
    rng = np.random.default_rng(seed)
    shape = (batch, heads, n, d)
    return [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(3)]


def rounded(np, x, precision):
    """float32 x rounded to the nearest `precision` value (ties to even) and back: what a peer computing
    in bf16 or f16 sees of its inputs. f32 leaves x as it is."""
    if precision == "f16":
        return x.astype(np.float16).astype(np.float32)
    if precision == "bf16":  # the upper 16 bits of the float32, rounded to nearest even (finite x)
        bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
        return bits.astype(np.uint32).view(np.float32).reshape(x.shape)
    if precision != "f32":
        raise ValueError(f"unknown precision {precision!r}")
    return x


def rounded_inputs(np, arrays, precision):
    return [rounded(np, x, precision) for x in arrays]


def reference_rows(np, q, k, v, causal, rows, slice_index=(0, 0)):
    """float64 attention for a few query rows of one (batch, head) slice."""
    b, h = slice_index
    q64, k64, v64 = (x[b, h].astype(np.float64) for x in (q, k, v))
    d = q64.shape[-1]
    out = {}
    for r in rows:
        s = k64 @ q64[r] / math.sqrt(d)
        if causal:
            s[r + 1:] = -np.inf
        p = np.exp(s - s.max())
        out[r] = (p / p.sum()) @ v64
    return out


def check_points(batch, heads, n):
    """(slice, rows) checked against float64: rows 0, N/2, N-1 of the first and the last slice."""
    rows = sorted({0, n // 2, n - 1})
    return sorted({(0, 0), (batch - 1, heads - 1)}), rows


def max_abs_error(np, result, q, k, v, causal):
    """Largest |result - float64| over check_points; inf when the result has a NaN there."""
    batch, heads, n, _ = q.shape
    slices, rows = check_points(batch, heads, n)
    error = 0.0
    for s in slices:
        expected = reference_rows(np, q, k, v, causal, rows, s)
        for r in rows:
            difference = np.abs(np.asarray(result[s[0], s[1], r], dtype=np.float64) - expected[r])
            error = max(error, float(difference.max()) if np.all(np.isfinite(difference)) else math.inf)
    return error
