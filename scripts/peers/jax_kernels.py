"""The JAX kernels: FlashAttention-2 as a tiled while loop, the whole-query while loop and plain
softmax(QKᵀ)V. Each takes Q [B, H, Nq, d] and K, V [B, H_kv, Nk, d] and groups the queries as
[B, H_kv, G, Nq, d] inside the function, so the G query heads of a K/V head share its blocks
(nothing is repeated). bf16 inputs are multiplied with fp32 accumulation (preferred_element_type),
the softmax statistics are kept in fp32, the probabilities are rounded to bf16 before they multiply
V (as FlashAttention does), and the output is bf16."""

import functools
import math

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403


def accumulation(jax, dtype):
    """(einsum, cast, scale_scores) for inputs of `dtype`: fp32 runs as before (Q pre-scaled, plain
    einsum); a narrow type accumulates in fp32, casts the probabilities back and scales the fp32
    scores (pre-scaling Q would round it once more)."""
    jnp = jax.numpy
    if dtype == jnp.float32:
        return None, None, False
    einsum = functools.partial(jnp.einsum, preferred_element_type=jnp.float32)
    return einsum, lambda p: p.astype(dtype), True


def flash_tiled_jax(jax, n, d, causal, block_q, block_kv, outer="map", n_kv=None, window=None):
    """FlashAttention-2 in JAX: outer loop over query blocks, inner lax.fori_loops over key blocks.

    Q, K and V are zero-padded to whole blocks; padded keys are masked (block_mask) and padded
    query rows are cut off. Per query block the key blocks of key_block_spans are visited: the
    masked ones before and after, the whole visible ones between them without a mask; the rest are
    skipped. Each query block keeps a (B, H_kv, G, Bq, Bk) score block, so the working set is
    O(G·Bq·Bk) per K/V slice. `outer` is how query blocks are looped: "map" (lax.map, a sequential
    scan whose inner loop bounds depend on the block: causal skipping works), "unroll" (a Python
    loop: static bounds, one set of loops per query block in the program), "vmap" (all query blocks
    at once: the loops run to the largest bounds, so causal skips nothing). n is the query length;
    n_kv (default n) the key length.
    """
    jnp, lax = jax.numpy, jax.lax
    n_kv = n if n_kv is None else n_kv
    bq, bk = clamp_blocks(n, block_q, block_kv, n_kv)
    nq, nk = block_count(n, bq), block_count(n_kv, bk)
    scale = 1.0 / math.sqrt(d)

    def attend(q, k, v):
        batch, heads = q.shape[:2]
        heads_kv = k.shape[1]  # under shard_map, this device's share
        einsum, cast, scale_scores = accumulation(jax, q.dtype)
        state_type = jnp.float32
        q = grouped(q if scale_scores else q * scale, heads_kv)
        group = q.shape[2]
        q = jnp.pad(q, ((0, 0), (0, 0), (0, 0), (0, nq * bq - n), (0, 0)))
        k = jnp.pad(k, ((0, 0), (0, 0), (0, nk * bk - n_kv), (0, 0)))
        v = jnp.pad(v, ((0, 0), (0, 0), (0, nk * bk - n_kv), (0, 0)))
        scaled_einsum = einsum
        if scale_scores:
            def scaled_einsum(spec, a, b):
                out = einsum(spec, a, b)
                return out * scale if spec.endswith("k") else out

        def query_block(i):
            q_block = lax.dynamic_slice_in_dim(q, i * bq, bq, axis=3)
            rows = i * bq + lax.broadcasted_iota(jnp.int32, (bq, bk), 0)

            def step(masked):
                def body(j, state):
                    k_block = lax.dynamic_slice_in_dim(k, j * bk, bk, axis=2)
                    v_block = lax.dynamic_slice_in_dim(v, j * bk, bk, axis=2)
                    visible = None
                    if masked:
                        cols = j * bk + lax.broadcasted_iota(jnp.int32, (bq, bk), 1)
                        visible = block_mask(jnp, rows, cols, n_kv, causal, n_kv - n, window)
                    return online_softmax_step(jnp, q_block, k_block, v_block, state, visible, scaled_einsum, cast)
                return body

            static = isinstance(i, int)
            start, full_start, full_end, end = key_block_spans(
                i, bq, bk, n, n_kv, causal, window, min if static else jnp.minimum, max if static else jnp.maximum)
            state = (jnp.zeros((batch, heads_kv, group, bq, d), state_type),
                     jnp.full((batch, heads_kv, group, bq), -jnp.inf, state_type),
                     jnp.zeros((batch, heads_kv, group, bq), state_type))
            state = lax.fori_loop(start, full_start, step(True), state)
            state = lax.fori_loop(full_start, full_end, step(False), state)
            o, _, l = lax.fori_loop(full_end, end, step(True), state)
            return (o / l[..., None]).astype(v.dtype)

        if outer == "unroll":
            out = jnp.concatenate([query_block(i) for i in range(nq)], axis=3)
        else:
            blocks = jnp.arange(nq)
            mapped = lax.map(query_block, blocks) if outer == "map" else jax.vmap(query_block)(blocks)
            out = mapped.transpose(1, 2, 3, 0, 4, 5).reshape(batch, heads_kv, group, nq * bq, d)
        return out.reshape(batch, heads, nq * bq, d)[:, :, :n]

    return attend


def flash_wholequery_jax(jax, n, d, causal, block_kv, n_kv=None, window=None):
    """Online-softmax flash with every query row against each key block: a while loop over key
    blocks only. Score blocks are Nq × Bk; causal masks every block instead of skipping. Needs
    Nk divisible by Bk (as first written); it is kept as it was to show why it is slow."""
    jnp, lax = jax.numpy, jax.lax
    n_kv = n if n_kv is None else n_kv
    block = min(block_kv, n_kv)
    scale = 1.0 / math.sqrt(d)

    def flash(q, k, v):
        batch, heads = q.shape[:2]
        q = grouped(q, k.shape[1])
        rows = lax.broadcasted_iota(jnp.int32, (n, block), 0)
        cols = lax.broadcasted_iota(jnp.int32, (n, block), 1)

        def cond(state):
            return state[0] < n_kv // block

        def body(state):
            i, o, m, l = state
            kb = lax.dynamic_slice_in_dim(k, i * block, block, axis=2)
            vb = lax.dynamic_slice_in_dim(v, i * block, block, axis=2)
            s = jnp.einsum("bhgqd,bhkd->bhgqk", q, kb) * scale
            if causal:
                s = jnp.where(block_mask(jnp, rows, cols + i * block, n_kv, causal, n_kv - n, window), s, -jnp.inf)
            m_new = jnp.maximum(m, s.max(-1))
            m_safe = jnp.where(m_new == -jnp.inf, 0.0, m_new)
            p = jnp.exp(s - m_safe[..., None])
            alpha = jnp.exp(m - m_safe)
            l = l * alpha + p.sum(-1)
            o = o * alpha[..., None] + jnp.einsum("bhgqk,bhkd->bhgqd", p, vb)
            return i + 1, o, m_new, l

        init = (0, jnp.zeros_like(q), jnp.full(q.shape[:4], -jnp.inf, q.dtype), jnp.zeros(q.shape[:4], q.dtype))
        _, o, _, l = lax.while_loop(cond, body, init)
        return (o / l[..., None]).reshape(batch, heads, n, -1)

    return flash


def plain_jax(jax, d, kv_heads):
    """softmax(QKᵀ/sqrt(d))V with the whole score matrix, grouped; `mask` (Nq × Nk bool) or None."""
    jnp = jax.numpy

    def plain(q, k, v, mask=None):
        batch, heads, n, _ = q.shape
        einsum, cast, _ = accumulation(jax, q.dtype)
        einsum = einsum or jnp.einsum
        s = einsum("bhgqd,bhkd->bhgqk", grouped(q, kv_heads), k) * (1.0 / math.sqrt(d))
        if mask is not None:
            s = jnp.where(mask, s, -jnp.inf)
        p = jax.nn.softmax(s, axis=-1)
        out = einsum("bhgqk,bhkd->bhgqd", cast(p) if cast else p, v)
        return out.astype(v.dtype).reshape(batch, heads, n, d)

    return plain
