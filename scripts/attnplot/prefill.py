"""Prefill figures: wall time, peak memory and speed-up over naive vs sequence length.

Prefill rows (seq_len_q == seq_len_kv), per model the most common shape; one subplot per
panel (model, mask, threads); one line per run × variant, the fastest block pair at each length.
"""

from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullFormatter

from .schema import Skip
from .selection import best_per_point, panelled_rows, prefill_selection
from .style import (
    Styler, finish_figure, format_bytes, make_panels, set_length_axis, set_time_axis,
)


def fig_time_vs_seq_len(ds):
    """Median wall time (s) vs prefill sequence length, log-log, with a min-max band."""
    rows, notes = prefill_selection(ds)
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (_key, title, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for run, variant in styler.ordered(series):
            points = series[(run, variant)]
            xs = [r["seq_len_kv"] for r in points]
            ys = [r["wall_time_median_s"] for r in points]
            style = styler.style(run, variant)
            ax.plot(xs, ys, label=styler.label(run, variant), markersize=5, **style)
            lows = [r.get("wall_time_min_s") or r["wall_time_median_s"] for r in points]
            highs = [r.get("wall_time_max_s") or r["wall_time_median_s"] for r in points]
            ax.fill_between(xs, lows, highs, color=style["color"], alpha=0.15, linewidth=0)
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "sequence length (tokens)")
        set_time_axis(ax, [r["wall_time_median_s"] for r in panel_rows])
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    band = (Rectangle((0, 0), 1, 1, color="gray", alpha=0.25), "min–max over repetitions")
    finish_figure(fig, axes, styler, "Attention wall time vs sequence length (prefill)", notes, rows,
                  extra=[band])
    return [("time_vs_seq_len", fig)]


def fig_memory_vs_seq_len(ds):
    """Peak memory (bytes) vs prefill sequence length, log-log.

    Solid lines: measured peak_memory_bytes; thin dashed lines of the same colour: the
    kernel's declared workspace_bytes.  Non-positive values cannot be drawn on a log axis and
    are left out.
    """
    ds.require("peak_memory_bytes")
    rows, notes = prefill_selection(ds, "peak_memory_bytes")
    rows = [r for r in rows if (r.get("peak_memory_bytes") or 0) > 0 or (r.get("workspace_bytes") or 0) > 0]
    if not rows:
        raise Skip("no ok prefill rows with peak_memory_bytes > 0")
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    drew_workspace = False
    for ax, (_key, title, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for run, variant in styler.ordered(series):
            points = series[(run, variant)]
            style = styler.style(run, variant)
            peak = [(r["seq_len_kv"], r["peak_memory_bytes"]) for r in points
                    if (r.get("peak_memory_bytes") or 0) > 0]
            if peak:
                ax.plot(*zip(*peak), label=styler.label(run, variant), markersize=5, **style)
            work = [(r["seq_len_kv"], r["workspace_bytes"]) for r in points
                    if (r.get("workspace_bytes") or 0) > 0]
            if work:
                drew_workspace = True
                ax.plot(*zip(*work), color=style["color"], linestyle="--", linewidth=0.9,
                        marker=style["marker"], markersize=3, markerfacecolor="none", alpha=0.8)
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "sequence length (tokens)")
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_formatter(FuncFormatter(format_bytes))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("memory (bytes, binary units)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    extra = [(Line2D([], [], color="gray", linewidth=2), "solid: peak_memory_bytes (measured)")]
    if drew_workspace:
        extra.append((Line2D([], [], color="gray", linestyle="--", linewidth=0.9),
                      "thin dashed: workspace_bytes (declared)"))
    finish_figure(fig, axes, styler, "Attention memory vs sequence length (prefill)", notes, rows, extra=extra)
    return [("memory_vs_seq_len", fig)]


def fig_speedup_over_naive(ds):
    """Speed-up over the naive kernel vs prefill sequence length.

    naive median time / variant median time (fastest block pair), same run, same panel and
    length; one line per non-naive variant and a horizontal line at 1 (no speed-up).
    """
    rows, notes = prefill_selection(ds)
    styler = Styler(ds)
    drawn = []
    for key, title, panel_rows in panelled_rows(rows):
        series = best_per_point(panel_rows, "seq_len_kv")
        lines = {}
        for (run, variant), points in series.items():
            if variant == "naive":
                continue
            naive = {r["seq_len_kv"]: r["wall_time_median_s"] for r in series.get((run, "naive"), [])}
            pts = [(r["seq_len_kv"], naive[r["seq_len_kv"]] / r["wall_time_median_s"])
                   for r in points if r["seq_len_kv"] in naive and r["wall_time_median_s"] > 0]
            if pts:
                lines[(run, variant)] = pts
        if lines:
            drawn.append((title, lines))
    if not drawn:
        raise Skip("no prefill length has both naive and another variant")
    fig, axes = make_panels(len(drawn))
    for ax, (title, lines) in zip(axes, drawn):
        values = []
        for run, variant in styler.ordered(lines):
            xs, ys = zip(*lines[(run, variant)])
            values.extend(ys)
            ax.plot(xs, ys, label=styler.label(run, variant), markersize=5, **styler.style(run, variant))
        ax.axhline(1.0, color="black", linewidth=1, linestyle="-", alpha=0.7, label="1× (as fast as naive)")
        set_length_axis(ax, [x for pts in lines.values() for x, _ in pts], "sequence length (tokens)")
        ax.set_ylim(0, max(values + [1.0]) * 1.15)
        ax.set_ylabel("speed-up over naive (×, higher is faster)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
    finish_figure(fig, axes, styler, "Speed-up over naive attention (prefill, naive time / variant time)",
                  notes, rows)
    return [("speedup_over_naive", fig)]
