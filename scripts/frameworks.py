#!/usr/bin/env python3
"""Measure PyTorch's and JAX's CPU attention at attnbench's shapes, interleaved with attnbench.

The reference points of attnbench's performance targets (README, "Against PyTorch and JAX"):

- PyTorch `scaled_dot_product_attention` with its flash backend (`SDPBackend.FLASH_ATTENTION`,
  PyTorch's CPU flash kernel) and with its unfused math backend (`SDPBackend.MATH`);
- JAX: flash attention written as a `lax.while_loop` over key blocks (online softmax, the
  approach whose slowness on XLA motivates this tool), and plain `softmax(QKᵀ)V`.

Each measurement runs in its own child process pinned to `threads` cores (sched_setaffinity),
with the framework's thread count set to match, warm-up calls (JIT compilation included), then
timed repetitions; the row reports the median. With `--attnbench BINARY` the same shapes are
also measured by `attnbench sweep` (flash2 and naive) in the same rounds, so every framework's
numbers and attnbench's are taken minutes apart, not days. Rounds are repeated (`--rounds`);
`gflops` uses attnbench's useful-FLOP count (4·B·H·N²·d non-causal, visible pairs causal).

PyTorch and JAX are not dependencies of attnbench; install them into any environment:

    python3 -m pip install torch jax numpy

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
    "causal", "threads", "block_kv", "repetitions", "wall_time_median_s", "wall_time_min_s", "gflops",
    "max_abs_error", "cpu_model", "date_utc",
]


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


def reference_rows(np, q, k, v, causal, rows):
    """float64 attention for a few query rows of slice (0, 0)."""
    q64, k64, v64 = (x[0, 0].astype(np.float64) for x in (q, k, v))
    d = q64.shape[-1]
    out = {}
    for r in rows:
        s = k64 @ q64[r] / math.sqrt(d)
        if causal:
            s[r + 1:] = -np.inf
        p = np.exp(s - s.max())
        out[r] = (p / p.sum()) @ v64
    return out


def time_calls(call, repetitions, min_seconds):
    times = []
    while len(times) < repetitions or sum(times) < min_seconds:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        if len(times) >= 1000:
            break
    return times


def child(spec):
    """Runs in the pinned child: one framework, one variant, one shape."""
    threads = spec["threads"]
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    import numpy as np

    b, h, n, d, causal = spec["batch"], spec["heads"], spec["seq_len"], spec["head_dim"], spec["causal"]
    q, k, v = inputs(np, b, h, n, d)
    check_rows = sorted({0, n // 2, n - 1})
    if spec["framework"] == "pytorch":
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel

        torch.set_num_threads(threads)
        backend = {"flash": SDPBackend.FLASH_ATTENTION, "math": SDPBackend.MATH}[spec["variant"]]
        tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))

        def call():
            with sdpa_kernel(backend), torch.no_grad():
                return torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)

        version = torch.__version__
    else:
        import jax
        import jax.numpy as jnp
        from jax import lax

        block = min(spec["block_kv"], n) or n
        if spec["variant"] == "flash-while-loop" and n % block:
            raise SystemExit(f"jax while-loop flash needs seq_len divisible by the block ({n} % {block})")
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

        def plain(q, k, v):
            s = jnp.einsum("bhqd,bhkd->bhqk", q, k) * scale
            if causal:
                s = jnp.where(jnp.tril(jnp.ones((n, n), bool)), s, -jnp.inf)
            return jnp.einsum("bhqk,bhkd->bhqd", jax.nn.softmax(s, axis=-1), v)

        function = jax.jit(flash if spec["variant"] == "flash-while-loop" else plain)
        jq, jk, jv = (jnp.asarray(x) for x in (q, k, v))

        def call():
            return function(jq, jk, jv).block_until_ready()

        version = jax.__version__

    out = call()
    for _ in range(spec["warmup"]):
        call()
    times = time_calls(call, spec["repetitions"], spec["min_seconds"])
    result = np.asarray(out)
    expected = reference_rows(np, q, k, v, causal, check_rows)
    error = max(float(np.abs(result[0, 0, r] - expected[r]).max()) for r in check_rows)
    return {"framework_version": version, "repetitions": len(times), "median": statistics.median(times), "min": min(times),
            "max_abs_error": error}


def run_child(spec, timeout):
    process = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True,
                             text=True, timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else
                           f"exit status {process.returncode}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def attnbench_rows(binary, shape, threads, causal, repetitions):
    command = [binary, "sweep", "--variants", "flash2,naive", "--batch", str(shape["batch"]),
               "--heads", str(shape["heads"]), "--seq-len", str(shape["seq_len"]), "--head-dim",
               str(shape["head_dim"]), "--threads", str(threads), "--causal", "on" if causal else "off",
               "--repetitions", str(repetitions), "--min-time", "0"]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode not in (0, 3):
        raise RuntimeError(process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "attnbench failed")
    return list(csv.DictReader(io.StringIO(process.stdout)))


def positive_list(text, flag):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"{flag}: expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"{flag}: values must be >= 1, got {text!r}")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seq-len", default="4096", help="comma-separated sequence lengths (default 4096)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", default="64", help="comma-separated head dimensions (default 64)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--causal", choices=["off", "on", "both"], default="off")
    parser.add_argument("--jax-block", default="256,512", help="key blocks of the JAX while loop (default 256,512)")
    parser.add_argument("--frameworks", default="pytorch,jax", help="pytorch, jax or both (default)")
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
    blocks = positive_list(args.jax_block, "--jax-block")
    frameworks = [f.strip() for f in args.frameworks.split(",")]
    for f in frameworks:
        if f not in ("pytorch", "jax"):
            raise SystemExit(f"--frameworks: unknown framework {f!r}; use pytorch, jax or both")
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
    model, date = cpu_model(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for round_index in range(args.rounds):
        for n in lengths:
            for d in dims:
                for causal in causal_values:
                    for threads in thread_counts:
                        shape = {"batch": args.batch, "heads": args.heads, "seq_len": n, "head_dim": d}
                        flops = useful_flops(args.batch, args.heads, n, d, causal)
                        measurements = []
                        if "pytorch" in frameworks:
                            measurements += [("pytorch", "flash", 0), ("pytorch", "math", 0)]
                        if "jax" in frameworks:
                            measurements += [("jax", "flash-while-loop", b) for b in blocks] + [("jax", "plain", 0)]
                        for framework, variant, block in measurements:
                            spec = dict(shape, framework=framework, variant=variant, causal=causal, threads=threads,
                                        block_kv=block, warmup=2, repetitions=args.repetitions,
                                        min_seconds=args.min_time)
                            row = dict(round=round_index, framework=framework, variant=variant, causal=str(causal).lower(),
                                       threads=threads, block_kv=block or "", cpu_model=model, date_utc=date,
                                       batch=args.batch, heads=args.heads, seq_len=n, head_dim=d)
                            try:
                                r = run_child(spec, args.timeout)
                            except Exception as error:  # one failed measurement is a row, not the end of the run
                                print(f"{framework} {variant} N={n} d={d} threads={threads}: {error}", file=sys.stderr)
                                continue
                            row.update(framework_version=r["framework_version"], repetitions=r["repetitions"],
                                       wall_time_median_s=f"{r['median']:.6g}", wall_time_min_s=f"{r['min']:.6g}",
                                       gflops=f"{flops / r['median'] / 1e9:.4g}", max_abs_error=f"{r['max_abs_error']:.3g}")
                            writer.writerow(row)
                            out.flush()
                        if args.attnbench:
                            for a in attnbench_rows(args.attnbench, shape, threads, causal, args.repetitions):
                                writer.writerow(dict(
                                    round=round_index, framework="attnbench", framework_version=a["attnbench_version"],
                                    variant=a["variant"], batch=args.batch, heads=args.heads, seq_len=n, head_dim=d,
                                    causal=a["causal"], threads=threads, block_kv=a["block_kv"],
                                    repetitions=a["repetitions"], wall_time_median_s=a["wall_time_median_s"],
                                    wall_time_min_s=a["wall_time_min_s"], gflops=a["gflops"],
                                    max_abs_error=a["max_abs_error"], cpu_model=model, date_utc=date))
                                out.flush()
    if args.output:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
