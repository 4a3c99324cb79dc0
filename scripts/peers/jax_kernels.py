"""The JAX kernels: FlashAttention-2 as a tiled while loop, and the whole-query while loop."""

import math

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403


def flash_tiled_jax(jax, n, d, causal, block_q, block_kv, outer="map"):
    """FlashAttention-2 in JAX: outer loop over query blocks, inner lax.fori_loop over key blocks.

    Q, K and V are zero-padded to whole blocks; padded keys are masked (block_mask) and padded
    query rows are cut off. Each query block keeps a (B, H, Bq, Bk) score block, so the working set
    is O(Bq·Bk) per slice, not O(N·Bk). `outer` is how query blocks are looped: "map" (lax.map, a
    sequential scan whose inner loop bounds depend on the block: causal skipping works), "unroll"
    (a Python loop: static bounds, one fori_loop per query block in the program), "vmap" (all
    query blocks at once: the loop runs to the largest bound, so causal skips nothing).
    """
    jnp, lax = jax.numpy, jax.lax
    bq, bk = clamp_blocks(n, block_q, block_kv)
    nq, nk = block_count(n, bq), block_count(n, bk)
    scale = 1.0 / math.sqrt(d)

    def attend(q, k, v):
        batch, heads = q.shape[:2]
        q = jnp.pad(q * scale, ((0, 0), (0, 0), (0, nq * bq - n), (0, 0)))
        k = jnp.pad(k, ((0, 0), (0, 0), (0, nk * bk - n), (0, 0)))
        v = jnp.pad(v, ((0, 0), (0, 0), (0, nk * bk - n), (0, 0)))

        def query_block(i):
            q_block = lax.dynamic_slice_in_dim(q, i * bq, bq, axis=2)
            rows = i * bq + lax.broadcasted_iota(jnp.int32, (bq, bk), 0)

            def step(masked):
                def body(j, state):
                    k_block = lax.dynamic_slice_in_dim(k, j * bk, bk, axis=2)
                    v_block = lax.dynamic_slice_in_dim(v, j * bk, bk, axis=2)
                    visible = None
                    if masked:
                        cols = j * bk + lax.broadcasted_iota(jnp.int32, (bq, bk), 1)
                        visible = block_mask(jnp, rows, cols, n, causal)
                    return online_softmax_step(jnp, q_block, k_block, v_block, state, visible)
                return body

            minimum = min if isinstance(i, int) else jnp.minimum
            full, visited = key_block_range(i, bq, bk, n, causal, minimum)
            state = (jnp.zeros((batch, heads, bq, d), q.dtype), jnp.full((batch, heads, bq), -jnp.inf, q.dtype),
                     jnp.zeros((batch, heads, bq), q.dtype))
            state = lax.fori_loop(0, full, step(False), state)
            o, _, l = lax.fori_loop(full, visited, step(True), state)
            return o / l[..., None]

        if outer == "unroll":
            out = jnp.concatenate([query_block(i) for i in range(nq)], axis=2)
        else:
            blocks = jnp.arange(nq)
            mapped = lax.map(query_block, blocks) if outer == "map" else jax.vmap(query_block)(blocks)
            out = mapped.transpose(1, 2, 0, 3, 4).reshape(batch, heads, nq * bq, d)
        return out[:, :, :n]

    return attend


def flash_wholequery_jax(jax, n, d, causal, block_kv):
    """Online-softmax flash with every query row against each key block: a while loop over key
    blocks only. Score blocks are N × Bk; causal masks every block instead of skipping. Needs
    N divisible by Bk (as first written); it is kept as it was to show why it is slow."""
    jnp, lax = jax.numpy, jax.lax
    block = min(block_kv, n)
    scale = 1.0 / math.sqrt(d)

    def flash(q, k, v):
        bq = q.shape[2]
        rows = lax.broadcasted_iota(jnp.int32, (bq, block), 0)
        cols = lax.broadcasted_iota(jnp.int32, (bq, block), 1)

        def cond(state):
            return state[0] < n // block

        def body(state):
            i, o, m, l = state
            kb = lax.dynamic_slice_in_dim(k, i * block, block, axis=2)
            vb = lax.dynamic_slice_in_dim(v, i * block, block, axis=2)
            s = jnp.einsum("bhqd,bhkd->bhqk", q, kb) * scale
            if causal:
                s = jnp.where(cols + i * block <= rows, s, -jnp.inf)
            m_new = jnp.maximum(m, s.max(-1))
            p = jnp.exp(s - m_new[..., None])
            alpha = jnp.exp(m - m_new)
            l = l * alpha + p.sum(-1)
            o = o * alpha[..., None] + jnp.einsum("bhqk,bhkd->bhqd", p, vb)
            return i + 1, o, m_new, l

        init = (0, jnp.zeros_like(q), jnp.full(q.shape[:3], -jnp.inf, q.dtype), jnp.zeros(q.shape[:3], q.dtype))
        _, o, _, l = lax.while_loop(cond, body, init)
        return o / l[..., None]

    return flash
