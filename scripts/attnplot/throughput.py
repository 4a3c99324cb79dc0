"""Throughput figures: GFLOP/s vs prefill length, and the cost of composing kernels (fused vs flash2).

Both draw the machine's references as horizontal lines: the FMA peak (the physical ceiling),
the sgemm peak (OpenBLAS on a large square GEMM) and, on the first, the GEMM roofline on
attention's own shapes.  Each is the median over the panel's rows of one machine.
"""

from collections import defaultdict

from .schema import Skip
from .selection import (
    best_per_point, is_decode, is_prefill, ok_time_rows, panelled_rows, prefill_selection,
)
from .style import (
    REFERENCES, Styler, draw_references, finish_figure, make_panels, set_length_axis, variant_color,
)


def fig_gflops_vs_seq_len(ds):
    """Achieved GFLOP/s vs prefill sequence length, with the FMA peak, sgemm peak and GEMM
    roofline of the panel's machine(s) as horizontal lines.  Same rows as time_vs_seq_len."""
    ds.require("gflops")
    rows, notes = prefill_selection(ds, "gflops")
    rows = [r for r in rows if r.get("gflops") is not None]
    if not rows:
        raise Skip("no ok prefill rows with gflops")
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (_key, title, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        top = 0.0
        for run, variant in styler.ordered(series):
            points = series[(run, variant)]
            ys = [r["gflops"] for r in points]
            top = max(top, max(ys))
            ax.plot([r["seq_len_kv"] for r in points], ys, label=styler.label(run, variant), markersize=5,
                    **styler.style(run, variant))
        top = max(top, draw_references(ax, panel_rows, styler.multi_machine))
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "sequence length (tokens)")
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        ax.set_ylabel("throughput (GFLOP/s)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
    finish_figure(fig, axes, styler, "Attention throughput vs sequence length (prefill)", notes, rows)
    return [("gflops_vs_seq_len", fig)]


COMPOSED = ("flash2", "fused")  # bar order within a pair: the composed kernels, then the fused one
PHASES = (("prefill", is_prefill), ("decode", is_decode))
# What makes two rows the same problem within a panel (one thread count), bar variant and blocks.
SHAPE_KEY = ("model", "batch", "heads", "kv_heads", "head_dim", "window", "key_lengths", "causal",
             "seq_len_q", "seq_len_kv")


def _shape_order(shape):
    return tuple((v is None, v if isinstance(v, (int, float)) else 0, v if isinstance(v, str) else "")
                 for v in shape)


def _category_labels(shapes, phase):
    """Tick label per shape: its length, plus whatever else differs between the shapes."""
    lengths = ("seq_len_q", "seq_len_kv")
    varying = [f for i, f in enumerate(SHAPE_KEY) if f not in lengths and len({s[i] for s in shapes}) > 1]
    labels = []
    for shape in shapes:
        values = dict(zip(SHAPE_KEY, shape))
        parts = [str(values["seq_len_kv"]) if phase == "prefill"
                 else f"kv {values['seq_len_kv']} · q {values['seq_len_q']}"]
        for field in varying:
            value = values[field]
            if field == "causal":
                parts.append({True: "causal", False: "non-causal"}.get(value, "causal ?"))
            elif field == "model":
                parts.append(value or "(flags)")
            else:
                parts.append(f"{field} {'-' if value is None else value}")
        labels.append("\n".join(parts))
    return labels


def fig_fused_vs_flash2(ds):
    """Composition cost: fused and flash2 GFLOP/s side by side, per shape.

    Drawn only when the CSV has both fused and flash2 rows.  One subplot per phase (prefill,
    decode) and thread count; per shape one bar per variant and run (the best block pair), the
    fused / flash2 ratio above each pair, the FMA peak and sgemm peak as horizontal lines.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv", "wall_time_median_s", "gflops")
    rows = [r for r in ok_time_rows(ds) if r["variant"] in COMPOSED and r.get("gflops") is not None]
    if {r["variant"] for r in rows} != set(COMPOSED):
        raise Skip("needs ok rows of both fused and flash2")
    styler = Styler(ds)
    panels = []
    for phase, belongs in PHASES:
        best = defaultdict(dict)  # (threads, shape) -> {(run, variant): best row}
        for r in rows:
            if belongs(r):
                cell = best[(r.get("threads"), tuple(r.get(f) for f in SHAPE_KEY))]
                key = (r["_run"], r["variant"])
                if key not in cell or r["gflops"] > cell[key]["gflops"]:
                    cell[key] = r
        for threads in sorted({t for t, _ in best}, key=lambda t: (t is None, t or 0)):
            shapes = sorted((s for t, s in best if t == threads
                             and {v for _, v in best[(t, s)]} == set(COMPOSED)),
                            key=_shape_order)
            if shapes:
                panels.append((phase, threads, shapes, [best[(threads, s)] for s in shapes]))
    if not panels:
        raise Skip("no shape has both fused and flash2 rows (prefill or decode)")
    n_bars = len(styler.runs) * len(COMPOSED)
    widest = max(len(p[2]) for p in panels)
    fig, axes = make_panels(len(panels), width=max(6.4, 0.35 * n_bars * widest + 2.5), height=4.6)
    for ax, (phase, threads, shapes, cells) in zip(axes, panels):
        width = 0.8 / n_bars
        top = 0.0
        for i, cell in enumerate(cells):
            for j, run in enumerate(styler.runs):
                pair = [cell.get((run, v)) for v in COMPOSED]
                for k, (variant, r) in enumerate(zip(COMPOSED, pair)):
                    if r is None:
                        continue
                    x = i - 0.4 + width * (j * len(COMPOSED) + k + 0.5)
                    ax.bar(x, r["gflops"], width=width * 0.9, color=variant_color(variant),
                           hatch=styler.hatch(run), edgecolor="black", linewidth=0.5,
                           label=styler.label(run, variant))
                    top = max(top, r["gflops"])
                if all(pair):
                    ratio = pair[1]["gflops"] / pair[0]["gflops"]
                    ax.annotate(f"×{ratio:.2f}", xy=(i - 0.4 + width * (j * len(COMPOSED) + 1), max(
                        p["gflops"] for p in pair)), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7)
        panel_rows = [r for cell in cells for r in cell.values()]
        top = max(top, draw_references(ax, panel_rows, styler.multi_machine,
                                       columns=[c for c, _, _ in REFERENCES[:2]]))
        ax.set_xticks(range(len(shapes)))
        ax.set_xticklabels(_category_labels(shapes, phase), fontsize=8)
        ax.set_xlim(-0.6, len(shapes) - 0.4)
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        ax.set_xlabel("sequence length (tokens)" if phase == "prefill" else "KV length · query rows (tokens)")
        ax.set_ylabel("throughput (GFLOP/s)")
        thread_text = "threads ?" if threads is None else f"{threads} thread{'s' if threads != 1 else ''}"
        ax.set_title(f"{phase} · {thread_text}", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    all_rows = [r for p in panels for cell in p[3] for r in cell.values()]
    finish_figure(fig, axes, styler, "Composition cost: fused vs flash2 throughput per shape",
                  ["best block pair per shape", "above each pair: fused / flash2"], all_rows)
    return [("fused_vs_flash2", fig)]
