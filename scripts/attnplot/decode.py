"""Decode figure: wall time vs KV length for decode shapes (a few query rows, many keys)."""

from .schema import Skip
from .selection import SHAPE_FIELDS, best_per_point, blocks_note, decode_rows, panelled_rows, pick_common_shapes
from .style import Styler, finish_figure, make_panels, set_length_axis, set_time_axis


def fig_decode_time_vs_kv_len(ds):
    """Decode shapes: median wall time (s) vs KV length, log-log.

    Rows with seq_len_q <= 16 and seq_len_q < seq_len_kv (per model the most common shape and
    seq_len_q), one line per run × variant (no band: decode timings are short and their
    extremes swamp the plot), one subplot per panel; fastest block pair per length.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv", "wall_time_median_s")
    rows = decode_rows(ds)
    if not rows:
        raise Skip("no ok decode rows (seq_len_q <= 16 and < seq_len_kv)")
    rows, shape_note = pick_common_shapes(rows, SHAPE_FIELDS + ("seq_len_q",))
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (_key, title, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for run, variant in styler.ordered(series):
            points = series[(run, variant)]
            ax.plot([r["seq_len_kv"] for r in points], [r["wall_time_median_s"] for r in points],
                    label=styler.label(run, variant), markersize=5, **styler.style(run, variant))
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "KV length (tokens)")
        set_time_axis(ax, [r["wall_time_median_s"] for r in panel_rows])
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    finish_figure(fig, axes, styler, "Decode: wall time vs KV length", [shape_note, blocks_note(rows)], rows)
    return [("decode_time_vs_kv_len", fig)]
