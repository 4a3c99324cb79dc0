"""Peers figure: attnbench's variants beside other runtimes' attention, one panel per shape and
element type, one horizontal bar per implementation, grouped by thread count."""

import math

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .peerdata import (
    ATTNBENCH, FP32, entries, etype_sort_key, fastest, is_decode_shape, metric_name, shape_sort_key, shape_text,
    shape_models, threads_sort_key,
)
from .schema import Skip
from .style import plt, set_titles

ATTNBENCH_COLOR = "crimson"
RUNTIME_COLORS = {"pytorch": "tab:orange", "jax": "tab:purple", "openvino": "tab:blue",
                  "onnxruntime": "tab:green", "ggml": "tab:olive"}
OTHER_COLORS = ["tab:cyan", "tab:brown", "tab:pink", "tab:gray"]
MATERIALISES_HATCH = "////"
MAX_TYPE_COLUMNS = 4  # more element types than this: the panels wrap in rows of WRAPPED_COLUMNS
WRAPPED_COLUMNS = 3
PANEL_WIDTH, INCHES_PER_BAR, PANEL_EXTRA_INCHES = 5.6, 0.24, 1.1


def runtime_color(runtime):
    if runtime == ATTNBENCH:
        return ATTNBENCH_COLOR
    if runtime in RUNTIME_COLORS:
        return RUNTIME_COLORS[runtime]
    return OTHER_COLORS[sum(map(ord, runtime)) % len(OTHER_COLORS)]


def panel_entries(found):
    """{(shape, etype): [Entry]}: every peer of the type; attnbench's variants in the fp32 panel, and
    in the other types its fastest variant per thread count (it computes in fp32), for reference."""
    ours = [e for e in found if e.runtime == ATTNBENCH]
    panels = {}
    for e in found:
        if e.runtime != ATTNBENCH:
            panels.setdefault((e.shape, e.etype), []).append(e)
    for e in ours:
        panels.setdefault((e.shape, FP32), [])
    for (shape, etype), members in panels.items():
        mine = [e for e in ours if e.shape == shape]
        if etype == FP32:
            members.extend(mine)
        else:
            for threads in {e.threads for e in members}:
                best = fastest([e for e in mine if e.threads == threads])
                if best is not None:
                    members.append(best._replace(name=f"{best.name} (fp32)"))
    return panels


def layout(keys):
    """{(shape, etype): (grid row, grid column)}: a row per shape and a column per element type
    when there are few types; otherwise the panels in reading order, WRAPPED_COLUMNS per row."""
    shapes = sorted({s for s, _ in keys}, key=shape_sort_key)
    etypes = sorted({t for _, t in keys}, key=etype_sort_key)
    if len(etypes) <= MAX_TYPE_COLUMNS:
        return {k: (shapes.index(k[0]), etypes.index(k[1])) for k in keys}, len(etypes)
    ordered = sorted(keys, key=lambda k: (shape_sort_key(k[0]), etype_sort_key(k[1])))
    return {k: divmod(i, WRAPPED_COLUMNS) for i, k in enumerate(ordered)}, WRAPPED_COLUMNS


def bar_rows(members):
    """[(label, entry or None)] top to bottom: per thread count a heading, then its bars, in one
    order for every group: the best value at the most threads first, rows that did not run last."""
    best = {}
    for e in sorted(members, key=lambda e: threads_sort_key(e.threads)):
        if e.value is not None:
            best[e.name] = e.value
    order = sorted({e.name for e in members}, key=lambda n: (n not in best, -best.get(n, 0.0), n))
    rows = []
    for threads in sorted({e.threads for e in members}, key=threads_sort_key):
        by_name = {e.name: e for e in members if e.threads == threads}
        heading = "threads ?" if threads is None else f"{threads} thread{'s' if threads != 1 else ''}"
        rows.append((heading, None))
        rows.extend((name, by_name[name]) for name in order if name in by_name)
    return rows


def draw_panel(ax, shape, etype, rows, top, slots, models):
    """Bars of one panel; `top` is the x range and `slots` the bar rows its figure row shares (one bar
    thickness throughout)."""
    labels, bold = [], []
    for y, (label, e) in enumerate(rows):
        labels.append(label)
        bold.append(e is None or e.runtime == ATTNBENCH)
        if e is None:
            if y:
                ax.axhline(y - 0.5, color="gray", linewidth=0.6)
            continue
        if e.value is None:  # did not run: an empty, dashed bar and why
            ax.barh(y, top * 0.03, color="none", edgecolor="gray", linestyle="--", linewidth=0.8)
            ax.annotate(e.status, xy=(top * 0.03, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7, color="dimgray", style="italic")
            continue
        ax.barh(y, e.value, height=0.75, color=runtime_color(e.runtime), edgecolor="black", linewidth=0.5,
                hatch=MATERIALISES_HATCH if e.materialises else None)
        if e.rounds > 1 and e.high > e.low:
            ax.errorbar(e.value, y, xerr=[[e.value - e.low], [e.high - e.value]], fmt="none", ecolor="black",
                        elinewidth=0.8, capsize=2)
        note = f"{e.value:.3g}" + (f"  (+{e.failed} not ok: {e.status})" if e.failed else "")
        ax.annotate(note, xy=(max(e.value, e.high or 0), y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=8)
    for tick, strong, (_label, e) in zip(ax.get_yticklabels(), bold, rows):
        if strong:
            tick.set_fontweight("bold")
        if e is not None and e.runtime == ATTNBENCH:
            tick.set_color(ATTNBENCH_COLOR)
    ax.set_ylim(slots - 0.5, -0.5)
    ax.set_xlim(0, top * 1.22)
    ax.set_xlabel(metric_name(shape) + (" (decode)" if is_decode_shape(shape) else " (useful FLOPs)"), fontsize=9)
    ax.set_title(f"{shape_text(shape, models)}\n{etype}", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)


def legend_handles(found):
    runtimes = sorted({e.runtime for e in found}, key=lambda r: (r != ATTNBENCH, r))
    handles = [(Patch(facecolor=runtime_color(r), edgecolor="black", linewidth=0.5),
                "attnbench (fp32)" if r == ATTNBENCH else r) for r in runtimes]
    if any(e.materialises for e in found):
        handles.append((Patch(facecolor="white", edgecolor="black", hatch=MATERIALISES_HATCH),
                        "materialises scores"))
    if any(e.value is None for e in found):
        handles.append((Patch(facecolor="none", edgecolor="gray", linestyle="--"), "did not run (status)"))
    if any(e.rounds > 1 for e in found):
        handles.append((Line2D([], [], color="black", marker="|", linestyle="-", linewidth=0.8),
                        "min–max over rounds"))
    return handles


def context(ds, found):
    cpus = sorted({str(r.get("cpu_model")) for r in ds.rows if r.get("cpu_model")})
    versions = {}
    for e in found:
        if e.version:
            versions.setdefault(e.runtime, set()).update(e.version.split(" / "))
    runtimes = ", ".join(f"{r} {'/'.join(sorted(v))}" for r, v in sorted(versions.items()))
    return f"CPU: {' / '.join(cpus) or 'unknown'}" + (f" · {runtimes}" if runtimes else "")


def fig_peers(ds):
    """attnbench's variants and the peers: per shape and element type a panel of horizontal bars.

    Bars are the median over rounds (rows of one implementation at one shape and thread count),
    whiskers their min–max; GFLOP/s for prefill shapes, GB/s of K/V read for decode shapes.  A peer
    that did not run is an empty dashed bar with its status; hatching marks a path that
    materialises the scores (named so by its path, or a peak memory of a full score matrix).
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv")
    if not any(r.get("kind") == "peer" for r in ds.rows):
        raise Skip("no peer rows (kind peer: scripts/frameworks.py --schema attnbench)")
    found = entries(ds.rows)
    models = shape_models(ds.rows)
    panels = panel_entries(found)
    positions, ncols = layout(list(panels))
    nrows = max(r for r, _ in positions.values()) + 1
    drawn = {key: bar_rows(members) for key, members in panels.items()}
    heights = [max(len(drawn[k]) for k, (r, _) in positions.items() if r == row) for row in range(nrows)]
    tops = {}  # (grid row, decode?) -> the x range the row's panels of that metric share
    for key, (row, _col) in positions.items():
        values = [e.high or e.value for _, e in drawn[key] if e is not None and e.value is not None]
        phase = (row, is_decode_shape(key[0]))
        tops[phase] = max([tops.get(phase, 0.0)] + values) or 1.0
    fig = plt.figure(figsize=(PANEL_WIDTH * ncols + 1.5,
                              sum(h * INCHES_PER_BAR + PANEL_EXTRA_INCHES for h in heights) + 1.8),
                     layout="constrained")
    grid = fig.add_gridspec(nrows, ncols, height_ratios=[h * INCHES_PER_BAR + PANEL_EXTRA_INCHES for h in heights])
    axes = []
    for key in sorted(panels, key=lambda k: positions[k]):
        row, col = positions[key]
        ax = fig.add_subplot(grid[row, col])
        draw_panel(ax, key[0], key[1], drawn[key], tops[(row, is_decode_shape(key[0]))], heights[row],
                   models)
        axes.append(ax)
    handles = legend_handles(found)
    fig.legend(*zip(*[(h, label) for h, label in handles]), loc="outside lower center",
               ncols=min(len(handles), max(1, math.floor(PANEL_WIDTH * ncols / 2.2))), fontsize=9)
    set_titles(fig, "Attention: attnbench beside other runtimes, per shape, element type and thread count",
               "bar: median over rounds · whisker: min–max · prefill: GFLOP/s of useful FLOPs (causal: visible "
               "pairs) · decode: GB/s of K/V read · attnbench computes in fp32: in the other element types "
               "its fastest variant per thread count is shown for reference", context(ds, found))
    return [("peers", fig)]
