"""The child process that measures one peer on one shape, pinned to its cores before the
framework (or NumPy, whose BLAS sizes its threads at import) is imported, and the parent's side of
that protocol."""

import json
import os
import pathlib
import re
import subprocess
import sys
import time

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403

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


def runtime_of(framework):
    """The runtime module's (np, spec, q, k, v) -> (build, version, framework_threads, info)."""
    if framework == "jax":
        from .jax_runtime import jax_runtime
        return jax_runtime
    if framework == "pytorch":
        from .pytorch_sdpa import pytorch_runtime
        return pytorch_runtime
    if framework == "openvino":
        from .openvino_sdpa import openvino_runtime
        return openvino_runtime
    if framework == "onnxruntime":
        from .onnxruntime_attention import onnxruntime_runtime
        return onnxruntime_runtime
    from .ggml_flash_attn import ggml_runtime
    return ggml_runtime


def child(spec):
    """Runs in the pinned child: one peer, one shape, its block candidates. Returns the measurement,
    or {'status': 'unsupported: …'} when the peer cannot run the shape."""
    threads = spec["threads"]
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
    candidates = [tuple(c) for c in spec["candidates"]]
    most_devices = max(c[2] for c in candidates)
    if spec["framework"] == "jax" and most_devices > 1:
        # XLA's CPU client has one device unless told; each device runs its share on its own thread.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={most_devices}").strip()
    import numpy as np

    shape = shape_of(spec)
    q, k, v = shape_inputs(np, shape)
    try:
        build, version, framework_threads, info = runtime_of(spec["framework"])(np, spec, q, k, v)
    except Unsupported as reason:
        return {"status": f"unsupported: {reason}"}
    tolerance = error_tolerance(info["precision"])

    # Each candidate: one untimed call (its memory measured), then the best of a few, checked against
    # float64 on the inputs rounded to the precision the peer ran in.
    trials, built = [], {}
    for candidate in candidates:  # (block_q, block_kv, devices)
        call, unpack = build(candidate)
        result, extra_bytes = extra_peak_bytes(call)
        error = max_abs_error(np, unpack(result), *rounded_inputs(np, (q, k, v), info["precision"]), shape.causal,
                              shape.active_window)
        del result
        seconds = min(time_calls(call, spec["tune_repetitions"], 0)) if len(candidates) > 1 else 0.0
        trials.append((candidate, seconds, error))
        built[candidate] = (call, unpack, error, extra_bytes)
    best, _, _ = choose_best(trials, tolerance)
    call, unpack, error, extra_bytes = built[best]
    built.clear()
    for _ in range(spec["warmup"]):
        call()
    cpu, wall = time.process_time(), time.perf_counter()  # process CPU time: all its threads
    times = time_calls(call, spec["repetitions"], spec["min_seconds"])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"status": "ok" if error <= tolerance else "incorrect", "framework_version": version,
            "framework_threads": framework_threads(), "devices": best[2], "block_q": best[0], "block_kv": best[1],
            "block_search": format_block_search(trials, tolerance), "times": times, "cpu_per_wall": cpu / wall,
            "max_abs_error": error, "precision": info["precision"], "path": info["path"],
            "kv_element_bytes": info.get("kv_element_bytes", 4), "extra_peak_memory_bytes": extra_bytes}


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
