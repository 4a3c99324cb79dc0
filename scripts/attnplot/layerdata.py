"""Rows of `attnbench sweep --model M --layer`: attention beside the rest of the transformer layer.

A layer row times the attention call (wall_time_median_s) and, in the same worker, one pass over the
layer's other matrix products at the row's tokens (layer_gemm_time_s: Q/K/V and output projections,
the MLP).  This module groups them into panels (model, phase, thread count, ...) and points (one
variant at one KV length), and derives what the layer figures and the layer table show: attention's
share of the layer, the length from which attention is at least half of it, and each variant's
speed-up over naive for the attention alone and for the whole layer.  Standard library only.
"""

import math
import statistics
from collections import Counter, defaultdict
from typing import NamedTuple

from .schema import current_schema
from .selection import is_decode, is_prefill, machine_labels

HALF = 0.5  # attention_share at which attention takes as long as the layer's other products
REFERENCE = "naive"  # the variant speed-ups are measured against
PHASES = ("prefill", "decode")


class Panel(NamedTuple):
    """One model's rows of one phase and thread count (on one machine, at one batch and mask)."""

    model: object
    batch: object
    machine: object
    phase: str  # "prefill" or "decode"
    query: object  # seq_len_q of a decode panel; None for prefill
    causal: object
    threads: object


class Point(NamedTuple):
    """One variant at one KV length in a panel: medians over its ok rows (at the fastest block pair
    when several were run), or, when none is ok, the status of the rows that did not run."""

    variant: str
    length: int
    status: str
    attention: float | None = None  # median wall_time_median_s
    layer: float | None = None  # median layer_gemm_time_s
    total: float | None = None  # median of attention + layer products, row by row
    share: float | None = None  # median attention_share
    token: float | None = None  # median token_time_s (decode rows)
    rows: int = 0


class Speedup(NamedTuple):
    """A variant over naive at one length: attention alone, the whole layer, and the fraction of the
    attention's gain that survives in the layer's.  `missing` names why there is none: the
    reference's status ('naive: oom') or the variant's own ('oom').  `products` compares the two rows'
    layer-products times, the same work: far from 1, their noise weighs in the layer speed-up."""

    variant: str
    length: int
    attention: float | None
    layer: float | None
    surviving: float | None
    missing: str | None = None
    products: float | None = None  # naive's layer products time / the variant's: near 1 (the same work)


class Crossing(NamedTuple):
    """Where a variant's attention_share reaches HALF.  relation: '=' at `measured` (with `estimate`
    interpolated in log2 length from the measured length below it), '≤' already at the smallest
    measured length, '>' not even at the largest; `failed`: (length, status) above the last ok one."""

    relation: str
    measured: int
    estimate: float | None = None
    failed: tuple = ()


def phase_of(row):
    if is_prefill(row):
        return "prefill"
    if is_decode(row):
        return "decode"
    return None


def is_layer_row(row):
    """A timed row of a --layer sweep (ok or not: a row that ran out of memory keeps its layer_dtype)."""
    return (row.get("kind") == "time" and bool(row.get("variant")) and row.get("seq_len_kv") is not None
            and (bool(row.get("layer_dtype")) or row.get("layer_gemm_time_s") is not None))


def panel_of(row):
    phase = phase_of(row)
    return Panel(row.get("model"), row.get("batch"), row.get("_machine"), phase,
                 row.get("seq_len_q") if phase == "decode" else None, row.get("causal"), row.get("threads"))


def share_of(row):
    share = row.get("attention_share")
    if share is None and row.get("layer_gemm_time_s"):
        attention = row["wall_time_median_s"]
        share = attention / (attention + row["layer_gemm_time_s"])
    return share


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(variant, length, rows):
    """The Point of one variant and length from its rows (several files, rounds or block pairs)."""
    ok = [r for r in rows if r.get("status") == "ok" and r.get("wall_time_median_s") is not None
          and r.get("layer_gemm_time_s") is not None]
    if not ok:
        statuses = Counter(r.get("status") or "?" for r in rows)
        return Point(variant, length, statuses.most_common(1)[0][0], rows=len(rows))
    by_blocks = defaultdict(list)
    for r in ok:
        by_blocks[(r.get("block_q"), r.get("block_kv"))].append(r)
    best = min(by_blocks.values(), key=lambda members: _median(r["wall_time_median_s"] for r in members))
    return Point(
        variant, length, "ok",
        attention=_median(r["wall_time_median_s"] for r in best),
        layer=_median(r["layer_gemm_time_s"] for r in best),
        total=_median(r["wall_time_median_s"] + r["layer_gemm_time_s"] for r in best),
        share=_median(share_of(r) for r in best),
        token=_median(r.get("token_time_s") for r in best),
        rows=len(best),
    )


def layer_panels(rows):
    """{Panel: {(variant, length): Point}} of every layer row of a prefill or decode shape."""
    grouped = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if is_layer_row(r) and phase_of(r) is not None:
            grouped[panel_of(r)][(r["variant"], r["seq_len_kv"])].append(r)
    return {panel: {key: summarise(*key, members) for key, members in points.items()}
            for panel, points in grouped.items()}


def _sortable(value):
    return (value is None, value if value is not None else 0)


def panel_sort_key(panel):
    return (str(panel.model or ""), _sortable(panel.batch), str(panel.machine), PHASES.index(panel.phase),
            _sortable(panel.query), str(panel.causal), _sortable(panel.threads))


def panel_labels(panels):
    """{panel: (model text, phase text)}: the model, with the batch, mask and machine when they vary
    between the panels (a model's mask is its own: encoders are non-causal); the phase, with the decode
    query length."""
    batches, causals = {p.batch for p in panels}, {p.causal for p in panels}
    machines = machine_labels(list(dict.fromkeys(p.machine for p in panels)))
    labels = {}
    for p in panels:
        model = [str(p.model) if p.model is not None else "model ?"] + ([f"B{p.batch}"] if len(batches) > 1 else [])
        model += [{True: "causal", False: "non-causal"}.get(p.causal, "causal ?")] if len(causals) > 1 else []
        model += [machines[p.machine]] if len(machines) > 1 else []
        phase = [p.phase] + ([f"Nq {p.query}"] if p.query is not None else [])
        labels[p] = (" · ".join(model), " · ".join(phase))
    return labels


def threads_text(threads):
    return "threads ?" if threads is None else f"{threads} thread{'s' if threads != 1 else ''}"


def largest_threads(panels):
    """Only the panels of the largest thread count among those of the same model, phase, machine, ...;
    returns (panels, number of thread counts left out)."""
    largest = {}
    for panel in panels:
        key = panel._replace(threads=None)
        if key not in largest or _sortable(panel.threads) > _sortable(largest[key]):
            largest[key] = panel.threads
    kept = {p: points for p, points in panels.items() if p.threads == largest[p._replace(threads=None)]}
    return kept, len(panels) - len(kept)


def variant_sort_key(variant):
    """The schema's variant order (naive first), then other names alphabetically."""
    order = current_schema().variants
    return (order.index(variant) if variant in order else len(order), variant)


def variants_of(points):
    return sorted({v for v, _ in points}, key=variant_sort_key)


def lengths_of(points):
    return sorted({length for _, length in points})


def surviving(attention, layer):
    """(layer − 1) / (attention − 1): the fraction of the attention's speed-up left in the layer's;
    None when the attention is not faster (nothing to survive)."""
    if attention is None or layer is None or attention <= 1:
        return None
    return (layer - 1) / (attention - 1)


def speedups(points):
    """[Speedup] of every variant but naive at every length it has a point, in length order."""
    found = []
    for length in lengths_of(points):
        reference = points.get((REFERENCE, length))
        for (variant, at), point in sorted(points.items(), key=lambda item: variant_sort_key(item[0][0])):
            if at != length or variant == REFERENCE:
                continue
            if reference is None or reference.status != "ok":
                why = f"{REFERENCE}: {reference.status if reference else 'not run'}"
                found.append(Speedup(variant, length, None, None, None, why))
            elif point.status != "ok":
                found.append(Speedup(variant, length, None, None, None, point.status))
            else:
                attention = reference.attention / point.attention
                layer = reference.total / point.total
                found.append(Speedup(variant, length, attention, layer, surviving(attention, layer),
                                     products=reference.layer / point.layer))
    return found


def crossing(points, variant):
    """The Crossing of a variant's attention_share over HALF; None when it has no ok point."""
    measured = sorted((length, p.share) for (v, length), p in points.items()
                      if v == variant and p.status == "ok" and p.share is not None)
    if not measured:
        return None
    last_ok = measured[-1][0]
    failed = tuple(sorted((length, p.status) for (v, length), p in points.items()
                          if v == variant and p.status != "ok" and length > last_ok))
    for index, (length, share) in enumerate(measured):
        if share < HALF:
            continue
        if index == 0:
            return Crossing("≤", length, failed=failed)
        below, below_share = measured[index - 1]
        fraction = (HALF - below_share) / (share - below_share)
        estimate = 2 ** (math.log2(below) + fraction * (math.log2(length) - math.log2(below)))
        return Crossing("=", length, estimate, failed)
    return Crossing(">", last_ok, failed=failed)


def format_length(tokens):
    """2048 -> '2k', 512 -> '512', 3172.4 -> '3.1k' (k = 1024 tokens)."""
    if tokens < 1024:
        return f"{round(tokens)}"
    if float(tokens).is_integer() and int(tokens) % 1024 == 0:
        return f"{int(tokens) // 1024}k"
    kilo = tokens / 1024
    return f"{kilo:.2g}k" if kilo < 10 else f"{kilo:.3g}k"


def crossing_text(found):
    """'≈ 3.1k (measured 4k)', '2k' (exactly half there), '≤ 512', '> 8k', '> 2k (8k: oom)'; '—' without
    a point."""
    if found is None:
        return "—"
    if found.relation == "=" and found.estimate is not None and abs(found.estimate - found.measured) >= 0.5:
        text = f"≈ {format_length(found.estimate)} (measured {format_length(found.measured)})"
    elif found.relation == "=":
        text = format_length(found.measured)  # exactly half at a measured length
    else:
        text = f"{found.relation} {format_length(found.measured)}"
    if found.failed and found.relation == ">":
        text += " (" + ", ".join(f"{format_length(n)}: {status}" for n, status in found.failed) + ")"
    return text
