"""Markdown tables of the layer rows (`attnbench sweep --model M --layer`) for a results page
(standard library only): scripts/layer_table.py.

Per model, phase and thread count: (1) each variant's attention_share at every length and the length
from which attention takes at least half of the layer; (2) each variant's speed-up over naive for the
attention alone and for the whole layer, and the fraction of the attention's gain that survives in
the layer's; (3) on decode rows, the estimated time per generated token of each variant.
"""

import argparse

from .layerdata import (
    REFERENCE, crossing, crossing_text, format_length, layer_panels, lengths_of, panel_labels,
    panel_sort_key, speedups, variants_of,
)
from .schema import print_table
from .selection import format_seconds

PROGRAM = "layer_table.py"


def percent(share):
    """0.123 -> '12%', 0.0042 -> '0.4%' (small shares keep a decimal)."""
    return "—" if share is None else f"{share:.1%}" if abs(share) < 0.1 else f"{share:.0%}"


def whole_percent(value):
    """0.333 -> '33%', -0.22 -> '-22%', -0.004 -> '0%'."""
    text = f"{value:.0%}"
    return "0%" if text == "-0%" else text


def share_cells(points, variant):
    """'512: 3% · 2k: 11% · 8k: oom'."""
    cells = []
    for length in lengths_of(points):
        p = points.get((variant, length))
        if p is not None:
            cells.append(f"{format_length(length)}: {percent(p.share) if p.status == 'ok' else p.status}")
    return " · ".join(cells)


def share_table(panels, labels):
    out = ["| model | phase | threads | variant | attention ≥ half of the layer from | attention share per length |",
           "|---|---|---:|---|---|---|"]
    for panel in sorted(panels, key=panel_sort_key):
        points = panels[panel]
        model, phase = labels[panel]
        for variant in variants_of(points):
            out.append(f"| {model} | {phase} | {threads_cell(panel.threads)} | {variant} | "
                       f"{crossing_text(crossing(points, variant))} | {share_cells(points, variant)} |")
    return out


def threads_cell(threads):
    return "?" if threads is None else str(threads)


def speedup_table(panels, labels):
    out = ["| model | phase | threads | length | variant | attention speed-up | layer speed-up | surviving | "
           "layer products, naive / variant |",
           "|---|---|---:|---:|---|---:|---:|---:|---:|"]
    for panel in sorted(panels, key=panel_sort_key):
        model, phase = labels[panel]
        for s in speedups(panels[panel]):
            head = f"| {model} | {phase} | {threads_cell(panel.threads)} | {format_length(s.length)} | {s.variant} | "
            if s.attention is None:
                out.append(head + f"— ({s.missing}) | — |  |  |")
                continue
            kept = "" if s.surviving is None else whole_percent(s.surviving)
            out.append(head + f"{s.attention:.2f}× | {s.layer:.2f}× | {kept} | {s.products:.2f} |")
    return out


def token_table(panels, labels):
    """Decode panels with token_time_s: a line per length, a column per variant."""
    decoding = {p: points for p, points in panels.items() if any(q.token is not None for q in points.values())}
    if not decoding:
        return []
    variants = variants_of({key for points in decoding.values() for key in points})
    out = ["| model | phase | threads | KV length | " + " | ".join(variants) + " |",
           "|---|---|---:|---:|" + "---:|" * len(variants)]
    for panel in sorted(decoding, key=panel_sort_key):
        points = decoding[panel]
        model, phase = labels[panel]
        for length in lengths_of(points):
            cells = []
            for variant in variants:
                p = points.get((variant, length))
                cells.append("—" if p is None else p.status if p.status != "ok" else
                             format_seconds(p.token) if p.token is not None else "—")
            out.append(f"| {model} | {phase} | {threads_cell(panel.threads)} | {format_length(length)} | "
                       + " | ".join(cells) + " |")
    return out


def markdown(rows):
    """The layer tables of the rows, as Markdown ('' when there are no layer rows)."""
    panels = layer_panels(rows)
    if not panels:
        return ""
    labels = panel_labels(list(panels))
    parts = [
        "Attention's share of the layer: attention median / (attention + the layer's other matrix products: "
        "Q/K/V/O projections and MLP, fp32 sgemm, at batch·Nq tokens); median over duplicate rows; "
        "k = 1024 tokens.\n\n" + "\n".join(share_table(panels, labels)),
        "From: the smallest measured length with a share of at least 50%; ≈ interpolates in log2(length) "
        "between it and the measured length below; ≤: already at the smallest length measured; "
        ">: not reached at the largest (lengths above it that did not run in parentheses).",
        f"Speed-up over {REFERENCE}: attention = {REFERENCE} attention / variant attention; layer = "
        f"({REFERENCE} attention + its layer products) / (variant attention + its layer products), each row "
        "its own layer time; surviving = (layer − 1) / (attention − 1), the part of the attention's gain the "
        "whole layer keeps (empty when the attention is not faster); layer products, naive / variant: the two "
        "rows' times of the same matrix products, near 1 when they are steady (far from it, their noise "
        "weighs in the layer speed-up).\n\n" + "\n".join(speedup_table(panels, labels)),
    ]
    tokens = token_table(panels, labels)
    if tokens:
        parts.append("Decode: estimated time per generated token (token_time_s: layers × (attention + layer "
                     "products) + output head; norms, rotary embedding and sampling left out).\n\n"
                     + "\n".join(tokens))
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Print Markdown tables of attention's share of the transformer layer and of each variant's "
                    "speed-up over naive for the attention and the whole layer, per model, phase and thread "
                    "count, from CSVs of attnbench sweep --model M --layer.")
    parser.add_argument("inputs", nargs="+", metavar="RESULTS.csv", help="attnbench CSV file(s)")
    args = parser.parse_args(argv)
    return print_table(PROGRAM, args.inputs, markdown, "no layer rows (attnbench sweep --model M --layer) in the input")
