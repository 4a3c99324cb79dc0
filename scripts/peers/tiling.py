"""Tiled flash attention (FlashAttention-2 loop order): the block geometry shared by the JAX kernels
and their NumPy twin, which the tests run without JAX.

Nq = query length, Nk = key length, d = head_dim, Bq = block_q, Bk = block_kv. Query block i holds
rows [i·Bq, min((i+1)·Bq, Nq)); key block j holds keys [j·Bk, min((j+1)·Bk, Nk)). Query row r is
aligned with key position r + offset (offset = Nk − Nq); causal, it sees keys ≤ r + offset, and
with a window W only those > r + offset − W. Queries are grouped as [B, H_kv, G, rows, d]: the G
query heads that share a K/V head multiply the same key block."""

import math

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403


def block_count(n, block):
    return -(-n // block)


def clamp_blocks(n, block_q, block_kv, n_kv=None):
    """Blocks longer than the sequence are the sequence: (min(Bq, Nq), min(Bk, Nk)); Nk defaults to Nq."""
    return min(block_q, n), min(block_kv, n if n_kv is None else n_kv)


def key_block_spans(query_block, block_q, block_kv, n_q, n_kv, causal, window=None, minimum=min, maximum=max):
    """(start, full_start, full_end, end) for one query block: key blocks [start, end) hold a visible
    pair; of them [full_start, full_end) are visible for every row and whole (no mask needed), and
    [start, full_start) and [full_end, end) are masked. Blocks outside [start, end) are skipped.

    With first and last the block's first and last rows, row r sees keys lo(r) ≤ j < hi(r), both
    non-decreasing in r: a key block is visited when it meets [lo(first), hi(last)), and needs no
    mask when it lies in [lo(last), hi(first)) and is whole. `minimum` and `maximum` are min and max
    for Python ints and jnp.minimum, jnp.maximum when the query block index is traced."""
    offset = n_kv - n_q
    first_row = query_block * block_q
    last_row = minimum((query_block + 1) * block_q, n_q) - 1

    def hi(row):
        return minimum(n_kv, row + offset + 1) if causal else n_kv

    def lo(row):
        return maximum(0, row + offset - window + 1) if window is not None else 0

    start, end = lo(first_row) // block_kv, (hi(last_row) + block_kv - 1) // block_kv
    full_start = (lo(last_row) + block_kv - 1) // block_kv
    full_end = maximum(hi(first_row) // block_kv, full_start)
    return start, full_start, full_end, end


def key_block_range(query_block, block_q, block_kv, n, causal, minimum=min):
    """(full, visited) for a square shape without window: key blocks [0, full) need no mask,
    [full, visited) do (key_block_spans with Nq = Nk)."""
    _, _, full, visited = key_block_spans(query_block, block_q, block_kv, n, n, causal, None, minimum)
    return full, visited


def block_mask(xp, rows, cols, n_kv, causal, offset=0, window=None):
    """True where (row, col) is a visible pair: a real key (col < Nk); causal, col ≤ row + offset;
    with a window, also col > row + offset − window."""
    visible = cols < n_kv
    if causal:
        visible = visible & (cols <= rows + offset)
    if window is not None:
        visible = visible & (cols > rows + offset - window)
    return visible


def online_softmax_step(xp, q_block, k_block, v_block, state, visible=None, einsum=None, cast=None):
    """One key block of FlashAttention-2's inner loop (Dao 2023, Algorithm 1), normalisation deferred.

    q_block is (B, H_kv, G, Bq, d), already scaled by 1/sqrt(d); k_block and v_block are
    (B, H_kv, Bk, d). state = (o, m, l): the unnormalised output (B, H_kv, G, Bq, d), the running
    row max and the running row sum of exp(s - m). `visible` (Bq, Bk) masks scores. `einsum` (default
    xp.einsum) may accumulate narrow inputs in fp32; `cast` converts the probabilities to V's type.
    """
    einsum = einsum or xp.einsum
    o, m, l = state
    s = einsum("bhgqd,bhkd->bhgqk", q_block, k_block)
    if visible is not None:
        s = xp.where(visible, s, -xp.inf)
    m_new = xp.maximum(m, s.max(-1))
    # A row with no visible key yet keeps m = -inf; its exponentials are 0, not NaN.
    m_safe = xp.where(m_new == -xp.inf, 0.0, m_new)
    p = xp.exp(s - m_safe[..., None])
    alpha = xp.exp(m - m_safe)
    pv = einsum("bhgqk,bhkd->bhgqd", cast(p) if cast else p, v_block)
    return o * alpha[..., None] + pv, m_new, l * alpha + p.sum(-1)


def grouped(x, kv_heads):
    """[B, H, rows, d] as [B, H_kv, G, rows, d]: query head h = kv·G + g (contiguous grouping)."""
    batch, heads, rows, d = x.shape
    return x.reshape(batch, kv_heads, heads // kv_heads, rows, d)


def flash_tiled_numpy(np, q, k, v, causal, block_q, block_kv, window=None):
    """The loop of flash_tiled_jax in NumPy, float64 in and out: for the tests, not for timing."""
    batch, heads, n_q, d = q.shape
    kv_heads, n_kv = k.shape[1], k.shape[2]
    bq, bk = clamp_blocks(n_q, block_q, block_kv, n_kv)
    q = grouped(q * (1.0 / math.sqrt(d)), kv_heads)
    out = np.empty_like(q)
    for i in range(block_count(n_q, bq)):
        rows_here = min(bq, n_q - i * bq)
        q_block = q[:, :, :, i * bq: i * bq + rows_here]
        state = (np.zeros_like(q_block), np.full(q_block.shape[:4], -np.inf), np.zeros(q_block.shape[:4]))
        start, full_start, full_end, end = key_block_spans(i, bq, bk, n_q, n_kv, causal, window)
        for j in range(start, end):
            keys = slice(j * bk, (j + 1) * bk)
            visible = None
            if not full_start <= j < full_end:
                rows = (i * bq + np.arange(rows_here))[:, None]
                cols = (j * bk + np.arange(k[:, :, keys].shape[2]))[None, :]
                visible = block_mask(np, rows, cols, n_kv, causal, n_kv - n_q, window)
            state = online_softmax_step(np, q_block, k[:, :, keys], v[:, :, keys], state, visible)
        o, _, l = state
        out[:, :, :, i * bq: i * bq + rows_here] = o / l[..., None]
    return out.reshape(batch, heads, n_q, d)
