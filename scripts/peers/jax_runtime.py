"""JAX's peers: the tiled and whole-query flash loops, jax.nn.dot_product_attention and plain
softmax(QKᵀ)V, in fp32 and (tiled, dot_product_attention, plain) on bf16 inputs, each compiled
ahead of its first call. The child imports JAX after it has pinned its cores and set XLA's device
count."""

import os

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403


def eigen_pool_threads():
    """Threads of XLA's intra-op Eigen pool (named tf_XLAEigen in /proc), or '' if none found."""
    try:
        names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    except OSError:
        return ""
    count = sum(name.startswith("tf_XLAEigen") for name in names)
    return count or ""


def dot_product_attention_call(jax, np, shape):
    """(function, mask or None, note): jax.nn.dot_product_attention on (B, N, heads, d) arrays with K/V
    heads fewer than Q heads (its native grouped-query form). Its is_causal and local_window_size
    are top-left aligned, so they are used only when Nq = Nk; otherwise an explicit mask."""
    kind = shape.masking()
    window = shape.active_window
    if kind == "causal" or (window is not None and shape.seq_len_q == shape.seq_len):
        options = {"is_causal": True}
        if window is not None:
            options["local_window_size"] = (window - 1, 0)
        note = "is_causal" + (f", local_window_size ({window - 1}, 0)" if window is not None else "")
        return lambda q, k, v: jax.nn.dot_product_attention(q, k, v, **options), None, note  # noqa: E731
    if kind == "none":
        return lambda q, k, v: jax.nn.dot_product_attention(q, k, v), None, shape.mask_note()  # noqa: E731
    return (lambda q, k, v, mask: jax.nn.dot_product_attention(q, k, v, mask=mask),  # noqa: E731
            shape.mask(np)[None, None], shape.mask_note())


def jax_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child."""
    import jax
    import jax.numpy as jnp

    shape = shape_of(spec)
    variant = spec["variant"]
    precision = "bf16" if variant.endswith("-bf16") else "f32"
    base = variant[:-len("-bf16")] if precision == "bf16" else variant
    dtype = jnp.bfloat16 if precision == "bf16" else jnp.float32
    grouping = (f"; GQA: Q as [B, {shape.kv_heads}, {shape.group}, N, d] against the K/V heads"
                if shape.group > 1 else "")
    info = {"precision": precision, "path": "", "kv_element_bytes": 2 if precision == "bf16" else 4}
    n, n_kv, d, causal, window = shape.seq_len_q, shape.seq_len, shape.head_dim, shape.causal, shape.active_window

    def device(x):
        return jnp.asarray(x, dtype=dtype)  # converted once, outside the timing

    def build(candidate):
        arguments, unpack = (device(q), device(k), device(v)), lambda out: np.asarray(out.astype(jnp.float32))
        if base == "flash-tiled":
            function = flash_tiled_jax(jax, n, d, causal, candidate[0], candidate[1], spec.get("jax_outer", "map"),
                                       n_kv, window=window)
            axis = split_axis(shape.batch, shape.heads, candidate[2], shape.kv_heads)
            if axis is not None:  # each device its share of the (batch, head) slices, K/V heads with their queries
                from jax.sharding import NamedSharding, PartitionSpec
                mesh = jax.sharding.Mesh(np.array(jax.devices()[:candidate[2]]), ("slices",))
                split = PartitionSpec(*([None] * axis + ["slices"]))
                function = jax.shard_map(function, mesh=mesh, in_specs=(split,) * 3, out_specs=split,
                                         check_vma=False)  # loop carries start device-invariant
                arguments = tuple(jax.device_put(x, NamedSharding(mesh, split)) for x in arguments)
            info["path"] = f"{shape.mask_note()}{grouping}"
        elif base == "flash-wholequery":
            function = flash_wholequery_jax(jax, n, d, causal, candidate[1], n_kv, window)
            info["path"] = f"{shape.mask_note()}{grouping}"
        elif base == "dot-product-attention":
            # Its layout is (batch, seq, heads, dim): transposed once, outside the timing.
            arguments = tuple(device(x.transpose(0, 2, 1, 3)) for x in (q, k, v))
            function, mask, note = dot_product_attention_call(jax, np, shape)
            if mask is not None:
                arguments += (jnp.asarray(mask),)
            unpack = lambda out: np.asarray(out.astype(jnp.float32)).transpose(0, 2, 1, 3)  # noqa: E731
            info["path"] = (f"{note}" + (f"; GQA native: {shape.kv_heads} K/V heads for {shape.heads} query heads"
                                         if shape.group > 1 else ""))
        else:
            function = plain_jax(jax, d, shape.kv_heads)
            if shape.masking() != "none":  # an Nq × Nk boolean argument, made once
                arguments += (jnp.asarray(shape.mask(np)),)
            info["path"] = f"{shape.mask_note()}{grouping}"
        info["path"] = (f"{precision} inputs, fp32 accumulation; " if precision == "bf16" else "") + info["path"]
        # Compiled ahead, so that the first call (whose memory the row reports) only runs.
        compiled = jax.jit(function).lower(*arguments).compile()

        def call():
            return compiled(*arguments).block_until_ready()
        return call, unpack

    return build, jax.__version__, eigen_pool_threads, info
