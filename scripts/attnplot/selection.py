"""Which rows a figure draws, and how they are grouped into panels and series.

Rows come from schema.load_csv: typed values plus `_source`, `_machine` and `_run`.  A panel
is one subplot: one model (or the flag-set shape), one causal setting, one thread count.  A
series is one line: one run (input file × machine) and one variant.
"""

import re
import statistics
from collections import Counter, defaultdict
from typing import NamedTuple

from .schema import Skip, current_schema, shared_constants

# Shape columns a figure holds fixed; `model` is handled apart (one panel per model).
SHAPE_FIELDS = ("batch", "heads", "kv_heads", "head_dim", "window", "key_lengths")
# Decode shapes: at most this many query rows (attnbench's cutoff), and fewer than the keys.
DECODE_MAX_QUERY_ROWS = shared_constants()["decode_max_query_length"]


def ok_time_rows(ds):
    """Timed rows whose status is ok and which carry a median time."""
    return [
        r for r in ds.rows
        if r.get("kind") == "time" and r.get("status") == "ok"
        and r.get("wall_time_median_s") is not None and r.get("variant")
    ]


def is_prefill(row):
    return row.get("seq_len_q") is not None and row.get("seq_len_q") == row.get("seq_len_kv")


def is_decode(row):
    q, kv = row.get("seq_len_q"), row.get("seq_len_kv")
    return q is not None and kv is not None and q <= DECODE_MAX_QUERY_ROWS and q < kv


def prefill_rows(ds):
    """ok timed rows with seq_len_q == seq_len_kv (prefill shapes)."""
    return [r for r in ok_time_rows(ds) if is_prefill(r)]


def decode_rows(ds):
    """ok timed rows of decode shapes: seq_len_q <= 16 and < seq_len_kv."""
    return [r for r in ok_time_rows(ds) if is_decode(r)]


def prefill_selection(ds, *extra_columns):
    """Rows shared by the prefill figures: per model, the most common shape.

    Returns (rows, notes): the shape note and, when several block pairs were run, a block note.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv", "wall_time_median_s", *extra_columns)
    rows = prefill_rows(ds)
    if not rows:
        raise Skip("no ok prefill rows (seq_len_q == seq_len_kv)")
    rows, note = pick_common_shapes(rows)
    return rows, [note, blocks_note(rows)]


def _sortable(values):
    return tuple((v is None, v if v is not None else 0) for v in values)


def pick_common_shapes(rows, keys=SHAPE_FIELDS):
    """Per model (rows without a model form one group) keep the most common value of `keys`.

    Returns (rows, note); the note names the shape fields shared by every kept row and how
    many other shapes were left out.
    """
    groups = defaultdict(list)
    for r in rows:
        groups[r.get("model")].append(r)
    kept, dropped = [], 0
    for members in groups.values():
        counts = Counter(tuple(r.get(k) for k in keys) for r in members)
        shape, _ = max(counts.items(), key=lambda item: (item[1], _sortable(item[0])))
        kept.extend(r for r in members if tuple(r.get(k) for k in keys) == shape)
        dropped += len(counts) - 1
    note = shape_note(kept, keys)
    if dropped:
        per_model = " per model" if any(model is not None for model in groups) else ""
        note += f" (most common shape{per_model}; {dropped} other shape{'s' if dropped > 1 else ''} left out)"
    return kept, note


def describe_field(field, value, heads=None):
    """'heads 8', 'window 128'; '' when the value says nothing (no window, kv_heads = heads)."""
    if value is None or (field == "kv_heads" and value == heads):
        return ""
    if field == "key_lengths":
        lengths = str(value).split()
        return "key lengths " + " ".join(lengths[:4]) + (" …" if len(lengths) > 4 else "")
    return f"{field} {value}"


def shape_note(rows, keys):
    """The shape fields that hold one value over all rows, e.g. 'batch 1 · heads 8 · head_dim 64'."""
    heads = {r.get("heads") for r in rows}
    parts = []
    for k in keys:
        values = {r.get(k) for r in rows}
        if len(values) == 1 and (k != "kv_heads" or len(heads) == 1):  # else kv_heads is per panel
            parts.append(describe_field(k, next(iter(values)), next(iter(heads))))
    return " · ".join(p for p in parts if p)


class Panel(NamedTuple):
    """Subplot key: the model and shape, the mask, the thread count."""

    model: object
    batch: object
    heads: object
    kv_heads: object
    head_dim: object
    window: object
    key_lengths: object
    causal: object
    threads: object
    dtype: object = None
    kv_dtype: object = None


def panel_key(row):
    return Panel(*(row.get(f) for f in Panel._fields))


def panel_sort_key(panel):
    return (
        panel.model is not None, panel.model or "",
        _sortable((panel.batch, panel.heads, panel.kv_heads, panel.head_dim, panel.window)),
        panel.key_lengths or "",
        {False: 0, True: 1}.get(panel.causal, 2), panel.threads is None, panel.threads or 0,
        _type_order(panel.dtype), _type_order(panel.kv_dtype or panel.dtype),
    )


def _type_order(etype):
    """fp32 first, then the narrower types, then anything else by name."""
    order = ["f32", "bf16", "f16", "q8_0"]
    name = etype or "f32"
    return (order.index(name) if name in order else len(order), name)


def element_types_text(dtype, kv_dtype):
    """'bf16', 'K/V q8_0', 'f16 · K/V q8_0'; '' for fp32 (or a CSV without the columns)."""
    tensors = dtype if dtype not in (None, "", "f32") else None
    cache = kv_dtype if kv_dtype not in (None, "") and kv_dtype != (dtype or "f32") else None
    return " · ".join(part for part in (tensors, f"K/V {cache}" if cache else None) if part)


def mask_and_threads(causal, threads):
    causal_text = {True: "causal", False: "non-causal"}.get(causal, "causal ?")
    if threads is None:
        return f"{causal_text} · threads ?"
    return f"{causal_text} · {threads} thread{'s' if threads != 1 else ''}"


def panel_titles(panels):
    """Title per panel: the model; kv_heads when it differs from heads; the window; any shape
    field that differs between panels; then the mask and thread count."""
    varying = {f for f in ("batch", "heads", "head_dim") if len({getattr(p, f) for p in panels}) > 1}
    titles = {}
    for p in panels:
        parts = [p.model] if p.model is not None else []
        parts += [describe_field(f, getattr(p, f)) for f in ("batch", "heads", "head_dim") if f in varying]
        parts += [describe_field("kv_heads", p.kv_heads, p.heads), describe_field("window", p.window),
                  describe_field("key_lengths", p.key_lengths), element_types_text(p.dtype, p.kv_dtype)]
        shape = " · ".join(part for part in parts if part)
        mask = mask_and_threads(p.causal, p.threads)
        titles[p] = f"{shape}\n{mask}" if shape else mask
    return titles


def panelled_rows(rows):
    """[(panel, title, rows)] in display order."""
    groups = defaultdict(list)
    for r in rows:
        groups[panel_key(r)].append(r)
    titles = panel_titles(list(groups))
    return [(key, titles[key], groups[key]) for key in sorted(groups, key=panel_sort_key)]


def best_per_point(rows, x_field):
    """For each (run, variant, x) keep the row with the lowest median time.

    This picks the fastest (block_q, block_kv) pair when several were run.
    Returns {(run, variant): [row, ...] sorted by x}.
    """
    best = {}
    for r in rows:
        x = r.get(x_field)
        if x is None:
            continue
        key = (r["_run"], r["variant"], x)
        if key not in best or r["wall_time_median_s"] < best[key]["wall_time_median_s"]:
            best[key] = r
    series = defaultdict(list)
    for (run, variant, _), r in best.items():
        series[(run, variant)].append(r)
    for points in series.values():
        points.sort(key=lambda r: r[x_field])
    return dict(series)


def has_several_blocks(rows):
    pairs = defaultdict(set)
    for r in rows:
        pairs[(r["_run"], r["variant"], r.get("seq_len_kv"), panel_key(r))].add(
            (r.get("block_q"), r.get("block_kv"))
        )
    return any(len(p) > 1 for p in pairs.values())


def blocks_note(rows):
    return "blocked variants: fastest (block_q, block_kv) per length" if has_several_blocks(rows) else ""


def distinct(rows, field):
    """Distinct non-empty values of a field, most frequent first."""
    counts = Counter(r.get(field) for r in rows if r.get(field) not in (None, ""))
    return [value for value, _ in counts.most_common()]


def median_by_machine(rows, field):
    """{machine: median of the rows' field}, machines without a value left out."""
    values = defaultdict(list)
    for r in rows:
        if r.get(field) is not None:
            values[r["_machine"]].append(r[field])
    return {machine: statistics.median(v) for machine, v in values.items()}


# --------------------------------------------------------------------------
# Machines
# --------------------------------------------------------------------------

_CPU_NOISE = [r"\((?:R|TM|C)\)", r"\bCPU\b", r"@.*$", r"\b\d+-Core\b", r"\bProcessor\b", r"\bwith\b.*$"]


def short_cpu_model(name):
    """'AMD EPYC 7763 64-Core Processor' -> 'AMD EPYC 7763';
    'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz' -> 'Intel Xeon Platinum 8370C'."""
    if not name:
        return "CPU ?"
    text = name
    for pattern in _CPU_NOISE:
        text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    return " ".join(text.split()) or name


def machine_labels(machines):
    """{machine key: 'short CPU model · N cores · OpenBLAS core'}, unique per machine.

    The machine key is schema machine_key (cpu_model, cpu_cores, openblas_core): one computer
    run with two OpenBLAS cores is two machines here, told apart by the core.
    """
    def label(machine, shorten):
        fields = dict(zip(current_schema().machine_key, machine))
        model, cores, core = fields.get("cpu_model"), fields.get("cpu_cores"), fields.get("openblas_core")
        name = short_cpu_model(model) if shorten else (model or "CPU ?")
        return f"{name} · {'?' if cores is None else cores} cores · OpenBLAS {core or '?'}"

    labels = {m: label(m, True) for m in machines}
    if len(set(labels.values())) != len(labels):
        labels = {m: label(m, False) for m in machines}
    if len(set(labels.values())) != len(labels):
        labels = {m: f"{text} #{i + 1}" for i, (m, text) in enumerate(labels.items())}
    return labels


def machines_in_short(machines):
    """Several machines in one short phrase, grouped by CPU:
    'AMD EPYC 7763 2 cores: OpenBLAS Zen/Haswell; Intel Xeon Platinum 8370C 4 cores: OpenBLAS SkylakeX'."""
    cores_by_cpu = {}
    for machine in machines:
        fields = dict(zip(current_schema().machine_key, machine))
        cpu = f"{short_cpu_model(fields.get('cpu_model'))} {fields.get('cpu_cores') or '?'} cores"
        cores_by_cpu.setdefault(cpu, []).append(fields.get("openblas_core") or "?")
    return "; ".join(f"{cpu}: OpenBLAS {'/'.join(cores)}" for cpu, cores in cores_by_cpu.items())


def format_seconds(value):
    """0.0123 -> '12.3 ms'."""
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"
