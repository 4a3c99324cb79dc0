"""Tiled flash attention (FlashAttention-2 loop order): the block geometry shared by the JAX kernels
and their NumPy twin, which the tests run without JAX."""

import math

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403


# ---- Tiled flash attention (FlashAttention-2 loop order), shared by JAX and a NumPy twin -------
#
# N = seq_len, d = head_dim, Bq = block_q, Bk = block_kv. Query block i holds rows
# [i·Bq, min((i+1)·Bq, N)); key block j holds keys [j·Bk, min((j+1)·Bk, N)).

def block_count(n, block):
    return -(-n // block)


def clamp_blocks(n, block_q, block_kv):
    """Blocks longer than the sequence are the sequence: (min(Bq, N), min(Bk, N))."""
    return min(block_q, n), min(block_kv, n)


def key_block_range(query_block, block_q, block_kv, n, causal, minimum=min):
    """(full, visited) for one query block: key blocks [0, full) need no mask, [full, visited) do.

    Non-causal: every key block is visited and only a ragged last block (keys past N) is masked.
    Causal (row r sees keys ≤ r): key block j is unmasked for the whole query block when its last
    key, (j+1)·Bk - 1, is at most the block's first row i·Bq, so full = (i·Bq + 1) // Bk; it is
    visited while its first key j·Bk is at most the block's last row, so visited =
    last_row // Bk + 1. Blocks past that are skipped, not masked. `minimum` is min for Python ints
    and jnp.minimum when the query block index is traced.
    """
    nk = block_count(n, block_kv)
    if not causal:
        return n // block_kv, nk
    first_row = query_block * block_q
    last_row = minimum((query_block + 1) * block_q, n) - 1
    return (first_row + 1) // block_kv, last_row // block_kv + 1


def block_mask(xp, rows, cols, n, causal):
    """True where (row, col) is a visible pair: a real key (col < N), and col ≤ row when causal."""
    visible = cols < n
    if causal:
        visible = visible & (cols <= rows)
    return visible


def online_softmax_step(xp, q_block, k_block, v_block, state, visible=None):
    """One key block of FlashAttention-2's inner loop (Dao 2023, Algorithm 1), normalisation deferred.

    q_block is already scaled by 1/sqrt(d). state = (o, m, l): the unnormalised output (…, Bq, d),
    the running row max and the running row sum of exp(s - m). `visible` (Bq, Bk) masks scores.
    """
    o, m, l = state
    s = xp.einsum("bhqd,bhkd->bhqk", q_block, k_block)
    if visible is not None:
        s = xp.where(visible, s, -xp.inf)
    m_new = xp.maximum(m, s.max(-1))
    p = xp.exp(s - m_new[..., None])
    alpha = xp.exp(m - m_new)
    return (o * alpha[..., None] + xp.einsum("bhqk,bhkd->bhqd", p, v_block),
            m_new, l * alpha + p.sum(-1))


def flash_tiled_numpy(np, q, k, v, causal, block_q, block_kv):
    """The loop of flash_tiled_jax in NumPy, float64 in and out: for the tests, not for timing."""
    batch, heads, n, d = q.shape
    bq, bk = clamp_blocks(n, block_q, block_kv)
    q = q * (1.0 / math.sqrt(d))
    out = np.empty_like(q)
    for i in range(block_count(n, bq)):
        rows_here = min(bq, n - i * bq)
        q_block = q[:, :, i * bq: i * bq + rows_here]
        state = (np.zeros_like(q_block), np.full(q_block.shape[:3], -np.inf), np.zeros(q_block.shape[:3]))
        full, visited = key_block_range(i, bq, bk, n, causal)
        for j in range(visited):
            keys = slice(j * bk, (j + 1) * bk)
            visible = None
            if j >= full:
                rows = (i * bq + np.arange(rows_here))[:, None]
                cols = (j * bk + np.arange(k[:, :, keys].shape[2]))[None, :]
                visible = block_mask(np, rows, cols, n, causal)
            state = online_softmax_step(np, q_block, k[:, :, keys], v[:, :, keys], state, visible)
        o, _, l = state
        out[:, :, i * bq: i * bq + rows_here] = o / l[..., None]
    return out
