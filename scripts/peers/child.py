"""The child process that measures one peer on one shape, pinned to its cores before the
framework is imported (JAX here; PyTorch, OpenVINO, ONNX Runtime and ggml in their own modules), and
the parent's side of that protocol."""

import json
import pathlib
import math
import os
import re
import statistics
import subprocess
import sys
import time

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .openvino_sdpa import *  # noqa: F401,F403
from .onnxruntime_attention import *  # noqa: F401,F403
from .pytorch_sdpa import *  # noqa: F401,F403
from .ggml_flash_attn import *  # noqa: F401,F403

# The script a child runs: the same command line, with --child.
ENTRY_POINT = pathlib.Path(__file__).resolve().parent.parent / "frameworks.py"


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
    info = {"precision": "f32", "path": ""}  # what the peer ran; the runtime modules fill it
    if spec["framework"] in ("openvino", "onnxruntime", "ggml"):
        runtime = {"openvino": openvino_runtime, "onnxruntime": onnxruntime_runtime,
                   "ggml": ggml_runtime}[spec["framework"]]
        build, version, framework_threads, info = runtime(np, spec, q, k, v)
    elif spec["framework"] == "pytorch":
        build, version, framework_threads, info = pytorch_runtime(np, spec, q, k, v)
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
            # Compiled ahead, so that the first call (whose memory the row reports) only runs.
            compiled = jax.jit(function).lower(*arguments).compile()

            def call():
                return compiled(*arguments).block_until_ready()
            return call, unpack

        version = jax.__version__
        framework_threads = eigen_pool_threads

    # Each candidate: one untimed call (its memory measured), then the best of a few, checked against
    # float64 on the inputs rounded to the precision the peer ran in.
    trials, built = [], {}
    for candidate in candidates:  # (block_q, block_kv, devices)
        call, unpack = build(candidate)
        result, extra_bytes = extra_peak_bytes(call)
        error = max_abs_error(np, unpack(result), *rounded_inputs(np, (q, k, v), info["precision"]), causal)
        del result
        seconds = min(time_calls(call, spec["tune_repetitions"], 0)) if len(candidates) > 1 else 0.0
        trials.append((candidate, seconds, error))
        built[candidate] = (call, unpack, error, extra_bytes)
    best, _, _ = choose_best(trials, error_tolerance(info["precision"]))
    call, unpack, error, extra_bytes = built[best]
    built.clear()
    for _ in range(spec["warmup"]):
        call()
    cpu, wall = time.process_time(), time.perf_counter()  # process CPU time: all its threads
    times = time_calls(call, spec["repetitions"], spec["min_seconds"])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"framework_version": version, "framework_threads": framework_threads(), "devices": best[2],
            "block_q": best[0], "block_kv": best[1], "block_search": format_block_search(trials),
            "repetitions": len(times), "median": statistics.median(times), "min": min(times),
            "cpu_per_wall": cpu / wall, "max_abs_error": error, "precision": info["precision"],
            "path": info["path"], "extra_peak_memory_bytes": extra_bytes}


def run_child(spec, timeout):
    process = subprocess.run([sys.executable, str(ENTRY_POINT), "--child", json.dumps(spec)], capture_output=True,
                             text=True, timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(child_error(process.stderr) or f"exit status {process.returncode}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def missing_package(message):
    """The package a child could not import ('openvino' from "No module named 'openvino.runtime'"), or None."""
    found = re.search(r"No module named '([^'.]+)", message or "")
    return found.group(1) if found else None


def child_error(stderr):
    """The exception line of a child's traceback (JAX appends notes after it), else its last line."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(" ") and ("Error:" in line or "Exception:" in line or line.startswith("SystemExit")):
            return line.strip()
    return lines[-1].strip() if lines else ""
