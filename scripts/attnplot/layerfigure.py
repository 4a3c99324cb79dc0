"""Layer figures (rows of `attnbench sweep --model M --layer`): how much of a transformer layer the
attention is, and how much of a faster attention's gain reaches the whole layer.

    attention_share_vs_seq_len.png  attention_share vs KV length, a line per variant, 50% dashed
    layer_speedup.png               speed-up over naive of the attention alone and of the layer

A panel per model (columns) and phase (rows: prefill, then decode), at the largest thread count
measured for it; each point is the median over its duplicate rows (see layerdata.py).
"""

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from .layerdata import (
    HALF, PHASES, REFERENCE, format_length, is_layer_row, largest_threads, layer_panels, lengths_of, panel_labels,
    panel_of, panel_sort_key, speedups, threads_text, variants_of,
)
from .schema import Skip
from .style import add_legend, context_line, plt, set_length_axis, set_titles, variant_color

MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
PANEL_WIDTH, PANEL_HEIGHT, MIN_WIDTH = 4.8, 3.6, 10.0
FAILED_Y = 1.07  # where a length that did not run is marked, above the share's 0–1 range
LAYER_HATCH = "////"
COMMON_NOTE = "median over duplicate rows · layer: Q/K/V/O projections and MLP (fp32 sgemm) at batch·Nq tokens"


def marker_of(variant, variants):
    return MARKERS[variants.index(variant) % len(MARKERS)]


def selected(ds):
    """(panels, rows drawn, note on thread counts left out); Skip when there are no layer rows."""
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv", "layer_gemm_time_s")
    panels, dropped = largest_threads(layer_panels(ds.rows))
    if not panels:
        raise Skip("no layer rows (attnbench sweep --model M --layer)")
    keys = set(panels)
    rows = [r for r in ds.rows if is_layer_row(r) and panel_of(r) in keys]
    left_out = f" ({dropped} panel{'s' if dropped > 1 else ''} at fewer threads left out)" if dropped else ""
    note = "largest thread count per panel" + left_out
    return panels, rows, note


def grid(panels):
    """{panel: (row, column)}, the column headings and the row headings: a column per model (and
    batch / mask / machine when they vary), a row per phase (and decode query length)."""
    ordered = sorted(panels, key=panel_sort_key)
    labels = panel_labels(ordered)
    columns = list(dict.fromkeys(labels[p][0] for p in ordered))
    rows = list(dict.fromkeys(labels[p][1] for p in sorted(ordered, key=phase_sort_key)))
    places = {p: (rows.index(labels[p][1]), columns.index(labels[p][0])) for p in ordered}
    return places, columns, rows


def phase_sort_key(panel):
    return PHASES.index(panel.phase), panel.query is None, panel.query or 0


def make_grid(panels):
    places, column_titles, row_titles = grid(panels)
    nrows, ncols = len(row_titles), len(column_titles)
    size = (max(PANEL_WIDTH * ncols + 0.6, MIN_WIDTH), PANEL_HEIGHT * nrows + 1.8)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, layout="constrained", squeeze=False)
    used = {}
    for panel, (row, col) in places.items():
        ax = axes[row][col]
        ax.set_title(f"{column_titles[col]}\n{row_titles[row]} · {threads_text(panel.threads)}", fontsize=10)
        used[panel] = ax
    for ax in [a for line in axes for a in line if a not in used.values()]:
        ax.set_visible(False)
    return fig, used


def length_axis(ax, lengths, panel):
    label = "sequence length (tokens)" if panel.phase == "prefill" else "KV length (tokens)"
    set_length_axis(ax, lengths, label)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_length(v)))


def draw_share_panel(ax, panel, points):
    variants = variants_of(points)
    lengths = lengths_of(points)
    failed_at = {}
    for variant in variants:
        ok = sorted((n, p.share) for (v, n), p in points.items() if v == variant and p.status == "ok"
                    and p.share is not None)
        color = variant_color(variant)
        if ok:
            ax.plot(*zip(*ok), color=color, marker=marker_of(variant, variants), markersize=5, label=variant)
        for (v, n), p in sorted(points.items(), key=lambda item: item[0][1]):
            if v != variant or p.status == "ok":
                continue
            stacked = failed_at.setdefault(n, [])
            ax.plot([n], [FAILED_Y], marker="x", color=color, markersize=7, markeredgewidth=2, linestyle="none",
                    label="_did not run", clip_on=False)
            align = "left" if n == lengths[0] and len(lengths) > 1 else "right" if n == lengths[-1] else "center"
            ax.annotate(f"{variant}: {p.status}", xy=(n, FAILED_Y), xytext=(0, -9 - 8 * len(stacked)),
                        textcoords="offset points", ha=align, va="center", fontsize=7, color=color)
            stacked.append(variant)
    ax.axhline(HALF, color="black", linestyle="--", linewidth=1, alpha=0.7,
               label="50%: attention = the layer's other products")
    ax.annotate("50%", xy=(0.01, HALF), xycoords=("axes fraction", "data"), xytext=(2, 3),
                textcoords="offset points", fontsize=7)
    length_axis(ax, lengths, panel)
    ax.set_ylim(0, FAILED_Y + 0.06)
    ax.yaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("attention / (attention + layer)", fontsize=9)
    ax.grid(True, alpha=0.3)


def fig_attention_share(ds):
    """attention_share (0–1) vs KV length per model and phase: a line per variant, the 50% line dashed;
    a length at which a variant did not run (oom, ...) is an x above the panel with its status."""
    panels, rows, threads_note = selected(ds)
    if not any(p.status == "ok" and p.share is not None for points in panels.values() for p in points.values()):
        raise Skip("no ok layer rows with attention_share")
    fig, axes = make_grid(panels)
    for panel, ax in axes.items():
        draw_share_panel(ax, panel, panels[panel])
    failed = any(p.status != "ok" for points in panels.values() for p in points.values())
    marker = Line2D([], [], color="gray", marker="x", markersize=7, markeredgewidth=2, linestyle="none")
    add_legend(fig, list(axes.values()), [(marker, "did not run (its status above the panel)")] if failed else ())
    set_titles(fig, "Attention's share of the transformer layer (attention + the layer's other matrix products)",
               f"share = attention median / (attention + layer products median) · {COMMON_NOTE} · {threads_note}",
               context_line(rows))
    return [("attention_share_vs_seq_len", fig)]


def ratio_text(value):
    return f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def lighter(color, amount=0.55):
    red, green, blue = plt.matplotlib.colors.to_rgb(color)
    return (red + (1 - red) * amount, green + (1 - green) * amount, blue + (1 - blue) * amount)


def draw_speedup_panel(ax, panel, points):
    found = speedups(points)
    variants = [v for v in variants_of(points) if v != REFERENCE]
    lengths = lengths_of(points)
    width = 0.8 / max(2 * len(variants), 1)
    top = 1.0
    for index, length in enumerate(lengths):
        here = [s for s in found if s.length == length]
        missing_reference = next((s.missing for s in here if s.missing and s.missing.startswith(REFERENCE)), None)
        if missing_reference:
            ax.text(index, 0.5, "no speed-up:\n" + missing_reference,
                    transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=8, color="dimgray",
                    style="italic")
            continue
        for s in here:
            slot = variants.index(s.variant)
            left = index - 0.4 + 2 * slot * width + width / 2
            color = variant_color(s.variant)
            if s.attention is None:
                ax.text(left + width / 2, 0.02, s.missing, transform=ax.get_xaxis_transform(), ha="center",
                        va="bottom", rotation=90, fontsize=7, color=color)
                continue
            ax.bar(left, s.attention, width, color=color, edgecolor="black", linewidth=0.5)
            ax.bar(left + width, s.layer, width, color=lighter(color), edgecolor=color, linewidth=0.5,
                   hatch=LAYER_HATCH)
            for x, value in ((left, s.attention), (left + width, s.layer)):
                ax.annotate(ratio_text(value), xy=(x, value), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6.5)
            top = max(top, s.attention, s.layer)
    ax.axhline(1.0, color="black", linewidth=1, alpha=0.7, label="1× (as fast as naive)")
    ax.set_xticks(range(len(lengths)))
    ax.set_xticklabels([format_length(n) for n in lengths])
    ax.set_xlim(-0.6, len(lengths) - 0.4)
    ax.set_xlabel("sequence length (tokens)" if panel.phase == "prefill" else "KV length (tokens)")
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel(f"speed-up over {REFERENCE} (×)", fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)


def fig_layer_speedup(ds):
    """Each variant's speed-up over naive per model, phase and length: attention alone (solid bar) beside
    the whole layer (hatched: attention plus each row's own layer products).  A length at which naive
    did not run has no bars and names naive's status."""
    panels, rows, threads_note = selected(ds)
    if not any(s.attention is not None for points in panels.values() for s in speedups(points)):
        raise Skip(f"no length at which {REFERENCE} and another variant both ran")
    fig, axes = make_grid(panels)
    variants = []
    for panel, ax in axes.items():
        draw_speedup_panel(ax, panel, panels[panel])
        variants += [v for v in variants_of(panels[panel]) if v != REFERENCE and v not in variants]
    extra = [(Patch(facecolor=variant_color(v), edgecolor="black", linewidth=0.5), v) for v in variants]
    extra += [(Patch(facecolor="gray", edgecolor="black", linewidth=0.5), "attention alone"),
              (Patch(facecolor=lighter("gray"), edgecolor="gray", hatch=LAYER_HATCH), "whole layer")]
    add_legend(fig, [], extra + [(Line2D([], [], color="black", linewidth=1), "1× (as fast as naive)")])
    set_titles(fig, f"Speed-up over {REFERENCE}: the attention alone and the whole layer",
               f"attention: {REFERENCE} attention median / variant's · layer: ({REFERENCE} attention + its layer "
               f"products) / (variant attention + its layer products), each row its own layer time · "
               f"{COMMON_NOTE} · {threads_note}", context_line(rows))
    return [("layer_speedup", fig)]
