#!/usr/bin/env python3
"""Measure PyTorch's and JAX's CPU attention at attnbench's shapes, interleaved with attnbench.

Usage (PyTorch and JAX live in their own git-ignored virtual environment, never in the system
Python; scripts/peers-venv.sh creates it with pinned versions):

    scripts/peers-venv.sh
    .venv-peers/bin/python scripts/frameworks.py --seq-len 4096 --threads 1,2 --causal both \\
        --attnbench .build/release/attnbench --output frameworks.csv

The peers, each at its best (README, "Against PyTorch and JAX"), named framework-variant:

- pytorch-sdpa-flash, pytorch-sdpa-math, pytorch-sdpa-default: `scaled_dot_product_attention`
  with the backend forced to FLASH_ATTENTION (PyTorch's CPU flash kernel) or MATH (unfused), and
  with no backend forced (PyTorch's own dispatch);
- jax-flash-tiled: FlashAttention-2 written in JAX (`flash_tiled_jax`): an outer loop over query
  blocks, an inner `lax.fori_loop` over key blocks with online softmax and one normalisation at
  the end; causal skips the key blocks past the diagonal and masks only the blocks that cross it.
  Query blocks are looped with `lax.map` (--jax-outer; on a 2-core AMD EPYC it was as fast as a
  Python-unrolled loop non-causal and 1.5× faster causal, and `vmap` 1.5–3× slower). Every
  (block_q, block_kv) in --jax-block-q × --jax-block-kv is tried, and with more than one thread
  also with the (batch, head) slices split over that many JAX CPU devices (`shard_map`: XLA
  otherwise parallelises only inside each small block GEMM); the fastest is kept;
- jax-flash-wholequery: the same online softmax with all N query rows against each key block (a
  `lax.while_loop` over key blocks only). It is how flash attention is often first written in JAX:
  every score block is N × block_kv and leaves cache, and causal masks instead of skipping;
- jax-dot-product-attention: `jax.nn.dot_product_attention` with its default implementation (XLA
  on CPU), given the (batch, seq, heads, dim) layout it takes;
- jax-plain: `softmax(QKᵀ)V` under `jit`.

Each measurement runs in its own child process pinned to `threads` cores (sched_setaffinity, before
the framework is imported), with the framework's thread count set to match (`torch.set_num_threads`;
XLA sizes its Eigen pool from the affinity mask, and the row records the pool it found in
`framework_threads`), warm-up calls outside the timing (JIT compilation included), then timed
repetitions; the row reports the median, and `cpu_per_wall`, the process's CPU seconds per wall
second over the timed calls (at most `threads`: the check that a 1-thread child used one core). A peer with blocks first times each block pair briefly
(--tune-repetitions), then measures the fastest afresh; `block_search` lists what each pair took.
Every peer's output is checked against float64 on rows 0, N/2 and N-1 of the first and the last
(batch, head) slice; a row whose error exceeds 1e-4 (attnbench's tolerance) has status
`incorrect`.

With `--attnbench BINARY` the same shapes are also measured by `attnbench sweep` (flash2 and
naive) in the same rounds, just before the peers, so all numbers are taken minutes apart. Its rows
carry the machine's ceilings at that thread count (`fma_peak_gflops`, `sgemm_peak_gflops`, CSV
schema 2), and every peer row of that round, shape and thread count is given the same ceilings and
its `peak_efficiency` and `sgemm_efficiency` against them. `gflops` uses attnbench's useful-FLOP
count (4·B·H·N²·d non-causal, visible pairs causal). Rounds are repeated (`--rounds`); a summary
table (GFLOP/s min–max over rounds) goes to stderr at the end.

Output: CSV on stdout or --output, one row per (round, framework, variant, shape, threads).
"""

import argparse
import csv
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

COLUMNS = [
    "round", "framework", "framework_version", "variant", "batch", "heads", "seq_len", "head_dim",
    "causal", "threads", "framework_threads", "devices", "block_q", "block_kv", "block_search", "repetitions",
    "wall_time_median_s", "wall_time_min_s", "cpu_per_wall", "gflops", "fma_peak_gflops", "sgemm_peak_gflops",
    "gemm_roofline_gflops", "peak_efficiency", "sgemm_efficiency", "max_abs_error", "status",
    "cpu_model", "date_utc",
]

# (framework, variant) of every peer, in the order they run; the peer's name is framework-variant.
PEERS = [
    ("pytorch", "sdpa-flash"), ("pytorch", "sdpa-math"), ("pytorch", "sdpa-default"),
    ("jax", "flash-tiled"), ("jax", "flash-wholequery"), ("jax", "dot-product-attention"),
    ("jax", "plain"),
]
PEER_NAMES = [f"{framework}-{variant}" for framework, variant in PEERS]

# Same bound as attnbench's correctness check (SweepRunner.correctnessTolerance).
ERROR_TOLERANCE = 1e-4


def useful_flops(batch, heads, n, d, causal):
    pairs = n * (n + 1) // 2 if causal else n * n
    return 4.0 * batch * heads * pairs * d


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


# ---- Block candidates and the best-of choice -----------------------------------------------

def split_axis(batch, heads, devices):
    """The axis of (batch, heads, N, d) that `devices` CPU devices split evenly: heads (1), else
    batch (0), else None. One device needs no split (None)."""
    if devices < 2:
        return None
    if heads % devices == 0:
        return 1
    if batch % devices == 0:
        return 0
    return None


def block_candidates(framework, variant, n, blocks_q, blocks_kv, batch=1, heads=1, threads=1):
    """(block_q, block_kv, devices) a peer is tried at, blocks clamped to N, deduplicated, in order;
    [(0, 0, 1)] for a peer without blocks. jax-flash-tiled is also tried with its (batch, head)
    slices split over `threads` JAX CPU devices (shard_map), each device a thread, where the
    slices divide evenly. jax-flash-wholequery takes all N rows (block_q = N) and only key blocks
    that divide N."""
    if (framework, variant) == ("jax", "flash-tiled"):
        devices = [1] + ([threads] if split_axis(batch, heads, threads) is not None else [])
        found = [clamp_blocks(n, bq, bk) + (c,) for c in devices for bq in blocks_q for bk in blocks_kv]
    elif (framework, variant) == ("jax", "flash-wholequery"):
        found = [(n, min(bk, n), 1) for bk in blocks_kv if n % min(bk, n) == 0]
        if not found:
            raise ValueError(f"jax flash-wholequery needs a key block dividing seq_len {n}; "
                             f"none of --jax-block-kv {','.join(map(str, blocks_kv))} does")
    else:
        return [(0, 0, 1)]
    return list(dict.fromkeys(found))


def choose_best(trials, tolerance=ERROR_TOLERANCE):
    """The fastest trial whose error is within tolerance: trials are (candidate, seconds, error).
    Ties keep the first. Falls back to the fastest of all (its row is then 'incorrect')."""
    correct = [t for t in trials if t[2] <= tolerance]
    return min(correct or trials, key=lambda t: t[1])


def format_block_search(trials, tolerance=ERROR_TOLERANCE):
    """'128x256:0.412 … 256x512/2:0.2' (block_q x block_kv, /devices when split, seconds: best of
    the tuning calls); '!' marks an error above tolerance. Empty for a single candidate."""
    if len(trials) < 2:
        return ""
    return " ".join(f"{bq}x{bk}{f'/{devices}' if devices > 1 else ''}:{seconds:.4g}{'!' if error > tolerance else ''}"
                    for (bq, bk, devices), seconds, error in trials)


def time_calls(call, repetitions, min_seconds):
    times = []
    while len(times) < repetitions or sum(times) < min_seconds:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        if len(times) >= 1000:
            break
    return times


def eigen_pool_threads():
    """Threads of XLA's intra-op Eigen pool (named tf_XLAEigen in /proc), or '' if none found."""
    try:
        names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    except OSError:
        return ""
    count = sum(name.startswith("tf_XLAEigen") for name in names)
    return count or ""


def child(spec):
    """Runs in the pinned child: one peer, one shape, its block candidates."""
    threads = spec["threads"]
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    candidates = [tuple(c) for c in spec["candidates"]]
    most_devices = max(c[2] for c in candidates)
    if spec["framework"] == "jax" and most_devices > 1:
        # XLA's CPU client has one device unless told; each device runs its share on its own thread.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={most_devices}").strip()
    import numpy as np

    b, h, n, d, causal = spec["batch"], spec["heads"], spec["seq_len"], spec["head_dim"], spec["causal"]
    q, k, v = inputs(np, b, h, n, d)
    if spec["framework"] == "pytorch":
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel

        torch.set_num_threads(threads)
        backend = {"sdpa-flash": SDPBackend.FLASH_ATTENTION, "sdpa-math": SDPBackend.MATH,
                   "sdpa-default": None}[spec["variant"]]
        tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))

        def build(candidate):
            def call():
                with torch.no_grad():
                    if backend is None:
                        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
                    with sdpa_kernel(backend):
                        return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
            return call, lambda out: out.numpy()

        version = torch.__version__
        framework_threads = lambda: torch.get_num_threads()  # noqa: E731
    else:
        import jax
        import jax.numpy as jnp

        jq, jk, jv = (jnp.asarray(x) for x in (q, k, v))

        def plain(q, k, v):
            s = jnp.einsum("bhqd,bhkd->bhqk", q, k) * (1.0 / math.sqrt(d))
            if causal:
                s = jnp.where(jnp.tril(jnp.ones((n, n), bool)), s, -jnp.inf)
            return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(s, axis=-1), v)

        def build(candidate):
            variant, arguments, unpack = spec["variant"], (jq, jk, jv), lambda out: np.asarray(out)
            if variant == "flash-tiled":
                function = flash_tiled_jax(jax, n, d, causal, candidate[0], candidate[1], spec.get("jax_outer", "map"))
                axis = split_axis(b, h, candidate[2])
                if axis is not None:
                    from jax.sharding import NamedSharding, PartitionSpec
                    mesh = jax.sharding.Mesh(np.array(jax.devices()[:candidate[2]]), ("slices",))
                    split = PartitionSpec(*([None] * axis + ["slices"]))
                    function = jax.shard_map(function, mesh=mesh, in_specs=(split,) * 3, out_specs=split,
                                             check_vma=False)  # loop carries start device-invariant
                    arguments = tuple(jax.device_put(x, NamedSharding(mesh, split)) for x in (q, k, v))
            elif variant == "flash-wholequery":
                function = flash_wholequery_jax(jax, n, d, causal, candidate[1])
            elif variant == "dot-product-attention":
                # Its layout is (batch, seq, heads, dim): transposed once, outside the timing.
                arguments = tuple(jnp.asarray(x.transpose(0, 2, 1, 3)) for x in (q, k, v))
                function = lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=causal)  # noqa: E731
                unpack = lambda out: np.asarray(out).transpose(0, 2, 1, 3)  # noqa: E731
            else:
                function = plain
            compiled = jax.jit(function)

            def call():
                return compiled(*arguments).block_until_ready()
            return call, unpack

        version = jax.__version__
        framework_threads = eigen_pool_threads

    # Each candidate: one call (compilation), then the best of a few, checked against float64.
    trials, built = [], {}
    for candidate in candidates:  # (block_q, block_kv, devices)
        call, unpack = build(candidate)
        error = max_abs_error(np, unpack(call()), q, k, v, causal)
        seconds = min(time_calls(call, spec["tune_repetitions"], 0)) if len(candidates) > 1 else 0.0
        trials.append((candidate, seconds, error))
        built[candidate] = (call, unpack, error)
    best, _, _ = choose_best(trials)
    call, unpack, error = built[best]
    built.clear()
    for _ in range(spec["warmup"]):
        call()
    cpu, wall = time.process_time(), time.perf_counter()  # process CPU time: all its threads
    times = time_calls(call, spec["repetitions"], spec["min_seconds"])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"framework_version": version, "framework_threads": framework_threads(), "devices": best[2],
            "block_q": best[0], "block_kv": best[1], "block_search": format_block_search(trials),
            "repetitions": len(times), "median": statistics.median(times), "min": min(times),
            "cpu_per_wall": cpu / wall,
            "max_abs_error": error}


def run_child(spec, timeout):
    process = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True,
                             text=True, timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(child_error(process.stderr) or f"exit status {process.returncode}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def child_error(stderr):
    """The exception line of a child's traceback (JAX appends notes after it), else its last line."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(" ") and ("Error:" in line or "Exception:" in line or line.startswith("SystemExit")):
            return line.strip()
    return lines[-1].strip() if lines else ""


# ---- attnbench rows and ceilings -------------------------------------------------------------

def first_present(row, *names):
    """The first non-empty value among names (new schema name first, then the old one), or ''."""
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return ""


def ceilings(attnbench_rows):
    """Ceilings at the rows' thread count from attnbench CSV rows (schema 2; schema 1 had only
    the roofline, as sgemm_gflops): the median over rows that give each."""
    result = {}
    for column, names in (("fma_peak_gflops", ("fma_peak_gflops",)),
                          ("sgemm_peak_gflops", ("sgemm_peak_gflops",)),
                          ("gemm_roofline_gflops", ("gemm_roofline_gflops", "sgemm_gflops"))):
        values = []
        for row in attnbench_rows:
            try:
                values.append(float(first_present(row, *names)))
            except ValueError:
                pass
        result[column] = f"{statistics.median(values):.4g}" if values else ""
    return result


def with_efficiencies(row, limits):
    """row with the ceilings and gflops / each peak filled in (empty where either is missing)."""
    row = dict(row, **limits)
    for column, peak in (("peak_efficiency", "fma_peak_gflops"), ("sgemm_efficiency", "sgemm_peak_gflops")):
        try:
            row[column] = f"{float(row['gflops']) / float(limits[peak]):.4g}"
        except (KeyError, ValueError, ZeroDivisionError):
            row[column] = ""
    return row


def attnbench_rows(binary, shape, threads, causal, repetitions):
    command = [binary, "sweep", "--variants", "flash2,naive", "--batch", str(shape["batch"]),
               "--heads", str(shape["heads"]), "--seq-len", str(shape["seq_len"]), "--head-dim",
               str(shape["head_dim"]), "--threads", str(threads), "--causal", "on" if causal else "off",
               "--repetitions", str(repetitions), "--min-time", "0"]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode not in (0, 3):
        raise RuntimeError(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "attnbench failed")
    return list(csv.DictReader(io.StringIO(process.stdout)))


def attnbench_output_row(a, base):
    """One output row from one attnbench CSV row (either schema)."""
    return dict(base, framework="attnbench", framework_version=a.get("attnbench_version", ""),
                variant=a["variant"], causal=a["causal"], framework_threads=a.get("threads", ""),
                block_q=a.get("block_q", ""), block_kv=a.get("block_kv", ""),
                repetitions=a["repetitions"], wall_time_median_s=a["wall_time_median_s"],
                wall_time_min_s=a["wall_time_min_s"], gflops=a["gflops"],
                max_abs_error=a["max_abs_error"], status=a.get("status", ""))


# ---- Summary ---------------------------------------------------------------------------------

def split_suffix(devices):
    """' /2' for a row split over 2 devices, '' for one device or none recorded."""
    return "" if str(devices) in ("", "1") else f" /{devices}"


def summary_table(rows):
    """Markdown: GFLOP/s min–max over rounds per (shape, causal, threads) and peer, with the
    blocks the peer chose and the ceilings attnbench measured beside it."""
    groups = {}
    for row in rows:
        if row.get("status") not in ("ok", ""):
            continue
        key = (int(row["seq_len"]), int(row["head_dim"]), row["causal"], int(row["threads"]))
        groups.setdefault(key, {}).setdefault(f"{row['framework']}-{row['variant']}", []).append(row)
    lines = ["| N | d | causal | threads | peer | GFLOP/s (min–max) | blocks (q×kv) | FMA peak | sgemm peak |",
             "|---:|---:|---|---:|---|---:|---|---:|---:|"]
    for key in sorted(groups):
        peers = groups[key]
        for name in sorted(peers, key=lambda p: -max(float(r["gflops"]) for r in peers[p])):
            found = peers[name]
            values = sorted(float(r["gflops"]) for r in found)
            span = f"{values[0]:.1f}" if values[0] == values[-1] else f"{values[0]:.1f}–{values[-1]:.1f}"
            blocks = sorted({f"{r['block_q']}×{r['block_kv']}" + split_suffix(r.get("devices", ""))
                             for r in found if r.get("block_kv")})
            fma = sorted({r["fma_peak_gflops"] for r in found if r.get("fma_peak_gflops")})
            sgemm = sorted({r["sgemm_peak_gflops"] for r in found if r.get("sgemm_peak_gflops")})
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {name} | {span} | {', '.join(blocks)} "
                         f"| {'/'.join(fma)} | {'/'.join(sgemm)} |")
    return "\n".join(lines)


def positive_list(text, flag):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"{flag}: expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"{flag}: values must be >= 1, got {text!r}")
    return values


def selected_peers(frameworks_text, peers_text):
    """(framework, variant) pairs to run, in PEERS order, from --frameworks and --peers."""
    frameworks = [f.strip() for f in frameworks_text.split(",")]
    for f in frameworks:
        if f not in ("pytorch", "jax"):
            raise SystemExit(f"--frameworks: unknown framework {f!r}; use pytorch, jax or both")
    names = PEER_NAMES if peers_text is None else [p.strip() for p in peers_text.split(",")]
    for name in names:
        if name not in PEER_NAMES:
            raise SystemExit(f"--peers: unknown peer {name!r}; use any of {', '.join(PEER_NAMES)}")
    chosen = [p for p, name in zip(PEERS, PEER_NAMES) if name in names and p[0] in frameworks]
    if not chosen:
        raise SystemExit("--peers: none of the peers named belongs to --frameworks")
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seq-len", default="4096", help="comma-separated sequence lengths (default 4096)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", default="64", help="comma-separated head dimensions (default 64)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--causal", choices=["off", "on", "both"], default="off")
    parser.add_argument("--frameworks", default="pytorch,jax", help="pytorch, jax or both (default)")
    parser.add_argument("--peers", help=f"peers to run, comma-separated (default all): {', '.join(PEER_NAMES)}")
    parser.add_argument("--jax-block-q", default="128,256,512",
                        help="query blocks jax-flash-tiled is tried at (default 128,256,512)")
    parser.add_argument("--jax-block-kv", default="128,256,512",
                        help="key blocks jax-flash-tiled and jax-flash-wholequery are tried at (default 128,256,512)")
    parser.add_argument("--jax-outer", choices=["map", "unroll", "vmap"], default="map",
                        help="how jax-flash-tiled loops over query blocks (default map: lax.map)")
    parser.add_argument("--tune-repetitions", type=int, default=2,
                        help="timed calls per block pair when choosing the best (default 2)")
    parser.add_argument("--attnbench", help="attnbench binary: also measure flash2 and naive in the same rounds")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement (default 900)")
    parser.add_argument("--output", help="CSV file (default stdout)")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    lengths = positive_list(args.seq_len, "--seq-len")
    dims = positive_list(args.head_dim, "--head-dim")
    thread_counts = positive_list(args.threads, "--threads")
    blocks_q = positive_list(args.jax_block_q, "--jax-block-q")
    blocks_kv = positive_list(args.jax_block_kv, "--jax-block-kv")
    peers = selected_peers(args.frameworks, args.peers)
    for value, flag in ((args.batch, "--batch"), (args.heads, "--heads"), (args.rounds, "--rounds"),
                        (args.repetitions, "--repetitions"), (args.tune_repetitions, "--tune-repetitions")):
        if value < 1:
            raise SystemExit(f"{flag}: must be >= 1, got {value}")
    if args.attnbench and not os.access(args.attnbench, os.X_OK):
        raise SystemExit(f"--attnbench: {args.attnbench!r} is not an executable; build it with "
                         "`swift build -c release --product attnbench` and pass .build/release/attnbench")
    available = len(os.sched_getaffinity(0))
    if max(thread_counts) > available:
        raise SystemExit(f"--threads: {max(thread_counts)} exceeds the {available} cores this process may use")
    causal_values = {"off": [False], "on": [True], "both": [False, True]}[args.causal]

    out = open(args.output, "w", newline="") if args.output else sys.stdout
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    out.flush()
    written = []

    def write(row):
        writer.writerow(row)
        out.flush()
        written.append(row)

    model, date = cpu_model(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for round_index in range(args.rounds):
        for n in lengths:
            for d in dims:
                for causal in causal_values:
                    for threads in thread_counts:
                        shape = {"batch": args.batch, "heads": args.heads, "seq_len": n, "head_dim": d}
                        base = dict(shape, round=round_index, causal=str(causal).lower(), threads=threads,
                                    cpu_model=model, date_utc=date)
                        flops = useful_flops(args.batch, args.heads, n, d, causal)
                        limits = ceilings([])
                        if args.attnbench:  # first, so that its ceilings go into the peers' rows too
                            try:
                                found = attnbench_rows(args.attnbench, shape, threads, causal, args.repetitions)
                            except Exception as error:
                                print(f"attnbench N={n} d={d} threads={threads}: {error}", file=sys.stderr)
                                found = []
                            limits = ceilings(found)
                            for a in found:
                                write(with_efficiencies(attnbench_output_row(a, base), limits))
                        for framework, variant in peers:
                            label = f"{framework}-{variant} N={n} d={d} causal={causal} threads={threads}"
                            try:
                                candidates = block_candidates(framework, variant, n, blocks_q, blocks_kv,
                                                              args.batch, args.heads, threads)
                                spec = dict(shape, framework=framework, variant=variant, causal=causal,
                                            threads=threads, candidates=candidates, jax_outer=args.jax_outer,
                                            tune_repetitions=args.tune_repetitions, warmup=2,
                                            repetitions=args.repetitions, min_seconds=args.min_time)
                                r = run_child(spec, args.timeout)
                            except Exception as error:  # one failed measurement is a message, not the end of the run
                                print(f"{label}: {error}", file=sys.stderr)
                                continue
                            row = dict(base, framework=framework, variant=variant,
                                       framework_version=r["framework_version"],
                                       framework_threads=r["framework_threads"],
                                       devices=r["devices"] if framework == "jax" else "",
                                       block_q=r["block_q"] or "", block_kv=r["block_kv"] or "",
                                       block_search=r["block_search"], repetitions=r["repetitions"],
                                       wall_time_median_s=f"{r['median']:.6g}", wall_time_min_s=f"{r['min']:.6g}",
                                       cpu_per_wall=f"{r['cpu_per_wall']:.3g}",
                                       gflops=f"{flops / r['median'] / 1e9:.4g}",
                                       max_abs_error=f"{r['max_abs_error']:.3g}",
                                       status="ok" if r["max_abs_error"] <= ERROR_TOLERANCE else "incorrect")
                            write(with_efficiencies(row, limits))
                            blocks = (f", blocks {row['block_q']}x{row['block_kv']}{split_suffix(row['devices'])}"
                                      if row["block_kv"] else "")
                            print(f"{label}: {row['gflops']} GFLOP/s{blocks}, CPU/wall {row['cpu_per_wall']}, "
                                  f"error {row['max_abs_error']}", file=sys.stderr)
    if args.output:
        out.close()
    print(summary_table(written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
