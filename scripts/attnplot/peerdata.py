"""Peer rows beside attnbench's rows: which implementation, shape and element type a row measures,
its figure of merit, and the median over rounds per implementation (standard library only).

A CSV written by `scripts/frameworks.py --schema attnbench` holds attnbench's timed rows (kind
`time`) and one row of kind `peer` per peer measurement: the peer's name in `variant` (e.g.
`openvino-sdpa-bf16`), "runtime version; path" in `message`.  A peer that could not run (runtime
not installed, an unsupported shape) has status `error` and its own status text last in `message`.

The element type comes from the peer's name: a `-kv-TYPE` suffix names the K/V type (Q stays fp32),
a `-bf16` / `-f16` / `-f32` suffix the type it computes in, no suffix fp32; attnbench computes in
fp32.  Prefill shapes (more than DECODE_MAX_QUERY_ROWS query rows) compare GFLOP/s, decode shapes
GB/s of K/V read.
"""

import re
import statistics
from collections import defaultdict
from typing import NamedTuple

from .selection import DECODE_MAX_QUERY_ROWS

FP32 = "fp32"
ATTNBENCH = "attnbench"
_TYPE = r"(?:b?f\d+|fp\d+|int\d+|i\d+|q\d+(?:_[0-9a-z]+)?)"
_KV_SUFFIX = re.compile(rf"-kv-({_TYPE})$")
_SUFFIX = re.compile(rf"-({_TYPE})$")
_FP32_NAMES = {"f32", "fp32"}
_TYPE_ORDER = [FP32, "bf16", "f16"]
# A path that holds the scores: PyTorch's math backend, or a runtime saying so.
_MATERIALISING_PATH = re.compile(r"unfused|materiali[sz]|fall(?:s)? ?back|\bmath\b|full scores?", re.IGNORECASE)
# A score matrix smaller than this is within the noise of a first call's resident-set rise.
SCORES_NOISE_BYTES = 8 << 20
_STATUS_TEXT = re.compile(r"^[a-z][a-z0-9 _-]*(?::|$)")
STATUS_TEXT_CHARACTERS = 48


class Shape(NamedTuple):
    """What a panel holds fixed: the sizes, lengths and mask (a model preset's rows match flag-set rows
    of the same sizes; the preset only names the panel, see shape_models)."""

    batch: object
    heads: object
    kv_heads: object
    head_dim: object
    window: object
    key_lengths: object
    seq_len_q: object
    seq_len_kv: object
    causal: object


class Entry(NamedTuple):
    """One implementation at one shape, element type and thread count: the median over its rows."""

    shape: Shape
    etype: str
    threads: object
    name: str  # peer name, or "attnbench VARIANT"
    runtime: str  # the peer's runtime (first part of its name), or "attnbench"
    value: object  # median of the metric over the ok rows; None when none is ok
    low: object
    high: object
    rounds: int  # ok rows with a value
    failed: int  # rows not ok
    status: str  # "ok", or the status text of the rows not ok
    materialises: bool
    version: str  # the runtime's version, from the peer's message


def is_attnbench(row):
    """attnbench's own timed rows, and attnbench rows a peers CSV carries as `attnbench-VARIANT`."""
    return row.get("kind") == "time" or (row.get("kind") == "peer"
                                         and str(row.get("variant") or "").startswith("attnbench-"))


def implementation(row):
    """(name, runtime) of the row."""
    variant = str(row.get("variant") or "?")
    if is_attnbench(row):
        return f"{ATTNBENCH} {variant.removeprefix('attnbench-')}", ATTNBENCH
    return variant, variant.split("-")[0]


def element_type(row):
    """'fp32', 'bf16', 'f16', 'K/V f16', 'K/V q8_0', 'bf16 K/V q8_0', ... (K/V fp32 is fp32).

    attnbench's rows say it in their dtype and kv_dtype columns; rows without them (a peers CSV)
    in their variant's suffix, as the peers' do."""
    if is_attnbench(row) and row.get("dtype"):
        tensors = str(row.get("dtype") or "f32")
        cache = str(row.get("kv_dtype") or tensors)
        tensors = FP32 if tensors in _FP32_NAMES else tensors
        if cache in _FP32_NAMES or cache == tensors:
            return tensors if cache == tensors or tensors == FP32 else f"{tensors} K/V fp32"
        return f"K/V {cache}" if tensors == FP32 else f"{tensors} K/V {cache}"
    name = str(row.get("variant") or "")
    match = _KV_SUFFIX.search(name)
    if match:
        return FP32 if match.group(1) in _FP32_NAMES else f"K/V {match.group(1)}"
    match = _SUFFIX.search(name)
    if match and match.group(1) not in _FP32_NAMES:
        return match.group(1)
    return FP32


def etype_sort_key(etype):
    if etype in _TYPE_ORDER:
        return (0, _TYPE_ORDER.index(etype), "")
    return (1 if etype.startswith("K/V ") else 2, 0, etype)


def shape_of(row):
    return Shape(*(row.get(f) for f in Shape._fields))


def shape_sort_key(shape):
    return tuple((v is None, v if isinstance(v, (int, float)) else 0, v if isinstance(v, str) else "")
                 for v in shape)


def is_decode_shape(shape):
    return shape.seq_len_q is not None and shape.seq_len_q <= DECODE_MAX_QUERY_ROWS


def metric_name(shape):
    return "GB/s of K/V read" if is_decode_shape(shape) else "GFLOP/s"


def metric(row):
    """GFLOP/s for prefill shapes; for decode shapes kv_read_gbps (or kv_bytes / median time)."""
    if not is_decode_shape(shape_of(row)):
        return row.get("gflops")
    if row.get("kv_read_gbps") is not None:
        return row["kv_read_gbps"]
    kv_bytes, median = row.get("kv_bytes"), row.get("wall_time_median_s")
    return kv_bytes / median / 1e9 if kv_bytes and median else None


def score_bytes(row):
    """Bytes of the full B·H·Nq·Nk score matrix in the row's compute type (2 for 16-bit, else 4)."""
    sizes = [row.get(f) for f in ("batch", "heads", "seq_len_q", "seq_len_kv")]
    if any(not isinstance(s, int) for s in sizes):
        return None
    element = 2 if element_type(row) in ("bf16", "f16") else 4
    return sizes[0] * sizes[1] * sizes[2] * sizes[3] * element


def materialises(row):
    """The row's path names an unfused or materialising path, or (prefill shapes) its peak memory
    reaches a full score matrix."""
    if _MATERIALISING_PATH.search(str(row.get("message") or "")):
        return True
    scores, peak = score_bytes(row), row.get("peak_memory_bytes")
    return (not is_decode_shape(shape_of(row)) and scores is not None and scores >= SCORES_NOISE_BYTES
            and peak is not None and peak >= scores)


def status_text(row):
    """'ok'; else the reason a peer gave ('missing: torch', 'unsupported: …') or the status."""
    status = row.get("status") or "?"
    if status != "error":
        return status
    message = str(row.get("message") or "")
    last = message.split("; ")[-1].strip()
    if row.get("kind") == "peer" and ";" in message and _STATUS_TEXT.match(last):
        text = last
    else:
        text = f"error: {message}" if message else "error"
    return text if len(text) <= STATUS_TEXT_CHARACTERS else text[:STATUS_TEXT_CHARACTERS - 1] + "…"


def runtime_version(row):
    """'2026.4.1' from a peer's message 'openvino 2026.4.1; path'; attnbench's own version column."""
    if is_attnbench(row):
        return str(row.get("attnbench_version") or "")
    first = str(row.get("message") or "").split("; ")[0].split()
    return first[1] if len(first) == 2 and first[1][:1].isdigit() else ""


def comparable_rows(rows):
    """Peer rows and attnbench's timed rows at the shapes some peer measured."""
    peers = [r for r in rows if r.get("kind") == "peer" and not is_attnbench(r)]
    shapes = {shape_of(r) for r in peers}
    ours = [r for r in rows if is_attnbench(r) and r.get("variant") and shape_of(r) in shapes]
    return peers + ours


def _median_entry(key, rows):
    shape, etype, threads, name, runtime = key
    ok = [r for r in rows if r.get("status") == "ok" and metric(r) is not None]
    values = [metric(r) for r in ok]
    failed = [r for r in rows if r.get("status") != "ok"]
    if values:
        status = "ok"
    elif failed:
        texts = [status_text(r) for r in failed]
        status = max(set(texts), key=texts.count)
    else:
        status = "no " + ("kv_read_gbps" if is_decode_shape(shape) else "gflops")
    versions = sorted({runtime_version(r) for r in rows} - {""})
    return Entry(shape, etype, threads, name, runtime,
                 statistics.median(values) if values else None, min(values, default=None),
                 max(values, default=None), len(values), len(failed), status,
                 any(materialises(r) for r in rows), " / ".join(versions))


def entries(rows):
    """[Entry] of the comparable rows: one per implementation, shape, element type and threads.

    attnbench's rows of one variant but several block pairs keep the pair of the best median.
    """
    groups = defaultdict(lambda: defaultdict(list))
    for r in comparable_rows(rows):
        name, runtime = implementation(r)
        key = (shape_of(r), element_type(r), r.get("threads"), name, runtime)
        blocks = (r.get("block_q"), r.get("block_kv")) if runtime == ATTNBENCH else None
        groups[key][blocks].append(r)
    found = []
    for key, by_blocks in groups.items():
        candidates = [_median_entry(key, members) for members in by_blocks.values()]
        found.append(max(candidates, key=lambda e: (e.value is not None, e.value or 0.0)))
    return found


def threads_sort_key(threads):
    return (threads is None, threads or 0)


def fastest(candidates):
    """The ok entry with the highest value, or None."""
    ok = [e for e in candidates if e.status == "ok" and e.value is not None]
    return max(ok, key=lambda e: e.value) if ok else None


def shape_models(rows):
    """{shape: 'llama-3-8b'}: the model presets (' / '-joined) that rows of the shape name."""
    names = defaultdict(set)
    for r in comparable_rows(rows):
        if r.get("model"):
            names[shape_of(r)].add(str(r["model"]))
    return {shape: " / ".join(sorted(members)) for shape, members in names.items()}


def shape_text(shape, models=None):
    """'B1 H8/8 d64 · Nq 4096 · Nk 4096 · non-causal'; a model preset's name in place of the sizes
    (with the batch when it is not 1) when `models` ({shape: name}, shape_models) names one."""
    model = (models or {}).get(shape)
    if model:
        head = model if shape.batch == 1 else f"{model} B{shape.batch}"
    else:
        head = f"B{shape.batch} H{shape.heads}/{shape.kv_heads} d{shape.head_dim}"
    parts = [head, f"Nq {shape.seq_len_q}", f"Nk {shape.seq_len_kv}"]
    if shape.window is not None:
        parts.append(f"window {shape.window}")
    if shape.key_lengths:
        parts.append(f"key lengths {shape.key_lengths}")
    parts.append({True: "causal", False: "non-causal"}.get(shape.causal, "causal ?"))
    return " · ".join(parts)

