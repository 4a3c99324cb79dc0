"""Maximum-length figure: the longest sequence each variant ran within the budgets."""

from matplotlib.patches import Rectangle

from .schema import Skip
from .selection import distinct, panel_key, panel_sort_key, panel_titles, pick_common_shapes
from .style import Styler, context_line, format_bytes, make_panels, set_titles, variant_color, variant_sort_key


def fig_max_seq_len(ds):
    """Longest sequence each variant ran within the budgets (maxlen rows).

    One bar per variant and run (hatch per run) and one subplot per panel (model, mask,
    threads); the best over block sizes is shown, each bar annotated with its length, what
    bounded it (memory, time, limit, error) and the block pair.  The budgets are in the title.
    """
    ds.require("kind", "status", "variant", "max_seq_len")
    rows = [r for r in ds.rows if r.get("kind") == "maxlen" and r.get("status") == "ok"
            and r.get("max_seq_len") is not None and r.get("variant")]
    if not rows:
        raise Skip("no maxlen rows")
    rows, shape_note = pick_common_shapes(rows)
    best = {}
    for r in rows:
        key = (panel_key(r), r["_run"], r["variant"])
        if key not in best or r["max_seq_len"] > best[key]["max_seq_len"]:
            best[key] = r
    styler = Styler(ds)
    panel_keys = sorted({k[0] for k in best}, key=panel_sort_key)
    titles = panel_titles(panel_keys)
    fig, axes = make_panels(len(panel_keys), width=6.4, height=4.4)
    top = max(r["max_seq_len"] for r in best.values()) or 1  # one scale: panels compare
    runs = [run for run in styler.runs if any(k[1] == run for k in best)]
    width = 0.8 / len(runs)
    for ax, pkey in zip(axes, panel_keys):
        variants = sorted({k[2] for k in best if k[0] == pkey}, key=variant_sort_key)
        for r_index, run in enumerate(runs):
            for v_index, variant in enumerate(variants):
                r = best.get((pkey, run, variant))
                if r is None:
                    continue
                x = v_index - 0.4 + width * (r_index + 0.5)
                ax.bar(x, r["max_seq_len"], width=width * 0.9, color=variant_color(variant),
                       hatch=styler.hatch(run), edgecolor="black", linewidth=0.5)
                blocks = (f"\n{r['block_q']}×{r['block_kv']}"
                          if r.get("block_q") is not None and r.get("block_kv") is not None else "")
                ax.annotate(f"{r['max_seq_len']:,}\n{r.get('max_seq_len_bound') or '?'}{blocks}",
                            xy=(x, r["max_seq_len"]), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(variants)))
        ax.set_xticklabels(variants)
        ax.set_xlim(-0.6, len(variants) - 0.4)
        ax.set_ylim(0, top * 1.35)
        ax.set_ylabel("max sequence length (tokens)")
        ax.set_title(titles[pkey], fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    if styler.multi:
        handles = [Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black", hatch=styler.hatch(run))
                   for run in runs]
        fig.legend(handles, [styler.run_label(run) for run in runs], loc="outside lower center",
                   ncols=min(len(runs), 3), fontsize=9)
    budgets = []
    memory = distinct(rows, "memory_budget_bytes")
    if memory:
        budgets.append("memory budget " + " / ".join(format_bytes(m) for m in memory))
    times = distinct(rows, "time_budget_s")
    if times:
        budgets.append("time budget " + " / ".join(f"{t:g} s" for t in times))
    set_titles(fig, "Maximum sequence length per variant (best over block sizes)",
               " · ".join([shape_note] + budgets + ["label: length, bound, block_q×block_kv"]),
               context_line(rows))
    return [("max_seq_len", fig)]
