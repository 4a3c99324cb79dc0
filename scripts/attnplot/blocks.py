"""Block-size figures: median time over the block_q × block_kv grid, one figure per variant."""

import math
from collections import defaultdict

from matplotlib.patches import Rectangle

from .schema import Skip
from .selection import SHAPE_FIELDS, describe_field, format_seconds, machine_labels, mask_and_threads, prefill_rows
from .style import context_line, plt, safe_name, set_titles, variant_sort_key

# A grid is one variant at one problem: run, model, shape, length, mask, threads.
GRID_FIELDS = ("model",) + SHAPE_FIELDS + ("seq_len_kv", "causal", "threads")


def fig_block_heatmaps(ds):
    """Median time over the block_q × block_kv grid, one figure per variant.

    Drawn for every variant with at least two distinct block pairs at one prefill problem; the
    problem used is from the last run that has one, then the longest prefill length,
    non-causal preferred, fewest threads.  Cells show the median time; the fastest is framed.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv",
               "wall_time_median_s", "block_q", "block_kv")
    rows = [r for r in prefill_rows(ds) if r.get("block_q") is not None and r.get("block_kv") is not None]
    if not rows:
        raise Skip("no ok prefill rows with block sizes")
    groups = defaultdict(list)
    for r in rows:
        groups[(r["variant"], r["_run"]) + tuple(r.get(f) for f in GRID_FIELDS)].append(r)
    chosen = {}
    for key, members in groups.items():
        if len({(r["block_q"], r["block_kv"]) for r in members}) < 2:
            continue
        variant, run, values = key[0], key[1], dict(zip(GRID_FIELDS, key[2:]))
        rank = (-ds.runs.index(run), -values["seq_len_kv"], values["causal"] is not False,
                values["threads"] or 0)
        if variant not in chosen or rank < chosen[variant][0]:
            chosen[variant] = (rank, key)
    if not chosen:
        raise Skip("no variant has two or more block pairs at one shape")
    return [(f"block_heatmap_{safe_name(variant)}", _heatmap(ds, variant, chosen[variant][1], groups))
            for variant in sorted(chosen, key=variant_sort_key)]


def _heatmap(ds, variant, key, groups):
    run, values = key[1], dict(zip(GRID_FIELDS, key[2:]))
    cells = {}
    for r in groups[key]:
        pair = (r["block_q"], r["block_kv"])
        if pair not in cells or r["wall_time_median_s"] < cells[pair]:
            cells[pair] = r["wall_time_median_s"]
    qs = sorted({p[0] for p in cells})
    kvs = sorted({p[1] for p in cells})
    grid = [[cells.get((q, kv), float("nan")) * 1e3 for kv in kvs] for q in qs]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(kvs) + 3), max(4.0, 0.9 * len(qs) + 2.6)),
                           layout="constrained")
    image = ax.imshow(grid, cmap="YlOrRd", origin="lower", aspect="auto")
    fig.colorbar(image, ax=ax, label="wall time, median (ms)")
    finite = [v for row in grid for v in row if not math.isnan(v)]
    low, high = min(finite), max(finite)
    best_pair = min(cells, key=cells.get)
    for i, q in enumerate(qs):
        for j, kv in enumerate(kvs):
            if (q, kv) not in cells:
                ax.text(j, i, "—", ha="center", va="center", fontsize=9, color="gray")
                continue
            shade = (cells[(q, kv)] * 1e3 - low) / (high - low) if high > low else 0.0
            ax.text(j, i, format_seconds(cells[(q, kv)]), ha="center", va="center",
                    fontsize=9, color="white" if shade > 0.6 else "black",
                    fontweight="bold" if (q, kv) == best_pair else "normal")
            if (q, kv) == best_pair:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:blue", linewidth=2.5))
    ax.set_xticks(range(len(kvs)))
    ax.set_xticklabels([str(v) for v in kvs])
    ax.set_yticks(range(len(qs)))
    ax.set_yticklabels([str(v) for v in qs])
    ax.set_xlabel("block_kv (keys per block)")
    ax.set_ylabel("block_q (queries per block)")
    shape = [values["model"] or "", f"seq_len {values['seq_len_kv']}"] + [
        describe_field(f, values[f], values["heads"]) for f in SHAPE_FIELDS
    ] + [mask_and_threads(values["causal"], values["threads"])]
    source, machine = run
    origin = [f"from {source}"] if len(ds.sources) > 1 else []
    origin += [f"on {machine_labels(ds.machines)[machine]}"] if len(ds.machines) > 1 else []
    set_titles(fig, f"{variant}: median time by block size (framed: fastest)",
               " · ".join(p for p in shape + origin if p), context_line(groups[key]))
    return fig
