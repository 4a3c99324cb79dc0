#!/usr/bin/env python3
"""Draw figures from one or more attnbench result CSVs.

Usage:
    python3 scripts/plot.py RESULTS.csv [MORE.csv ...] --output-dir DIR [--svg]

Every figure is written as PNG (and SVG as well with --svg) into DIR:

    time_vs_seq_len.png         median wall time vs prefill length, min-max band
    gflops_vs_seq_len.png       GFLOP/s vs prefill length, sgemm ceiling dashed
    memory_vs_seq_len.png       peak memory (and workspace) vs prefill length
    max_seq_len.png             longest sequence each variant ran within budget
    block_heatmap_<variant>.png median time over block_q x block_kv
    decode_time_vs_kv_len.png   decode shapes: median time vs KV length
    speedup_over_naive.png      naive median time / variant median time

When several CSVs are given (e.g. baseline.csv current.csv), each series is
drawn once per file: same colour per variant, a different line style and
marker per file.  A figure that cannot be drawn (missing columns, no rows) is
skipped with a one-line message on stderr.

Exit status: 0 when at least one figure was written; 2 when an input file is
missing, unreadable or not an attnbench CSV, or when nothing could be plotted;
3 when matplotlib is not installed.

Only the standard library csv module and matplotlib are used.
"""

import argparse
import csv
import math
import os
import sys
from collections import Counter, defaultdict

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator
except ImportError:  # pragma: no cover - depends on the environment
    print(
        "plot.py: matplotlib is not installed; run: python3 -m pip install -r scripts/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(3)


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

REQUIRED_IDENTITY_COLUMNS = ("schema_version", "variant")
SUPPORTED_SCHEMA_VERSIONS = {1}

INT_FIELDS = (
    "schema_version", "batch", "heads", "seq_len_q", "seq_len_kv", "head_dim",
    "block_q", "block_kv", "threads", "warmup", "repetitions",
    "peak_memory_bytes", "workspace_bytes", "memory_budget_bytes",
    "max_seq_len", "max_seq_len_resolution", "error_rows_checked",
    "cpu_cores", "openblas_threads", "seed",
)
FLOAT_FIELDS = (
    "wall_time_median_s", "wall_time_min_s", "wall_time_p90_s",
    "wall_time_max_s", "wall_time_mean_s", "wall_time_iqr_s",
    "wall_time_iqr_over_median", "gflops", "sgemm_gflops", "efficiency",
    "time_budget_s", "max_abs_error",
)
BOOL_FIELDS = ("block_auto", "causal", "noisy")


class InputError(Exception):
    """An input file is missing, unreadable or not an attnbench CSV."""


class Skip(Exception):
    """A figure cannot be drawn from the data at hand."""


def _to_int(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _to_float(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_bool(text):
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


def convert_row(raw, source):
    """Return a copy of a csv.DictReader row with typed values.

    Empty cells become None; numbers and booleans that do not parse become
    None too (a bad cell never aborts plotting).  `_source` names the file.
    """
    row = {"_source": source}
    for key, value in raw.items():
        if key is None:  # surplus cells on a malformed line
            continue
        text = value.strip() if isinstance(value, str) else ""
        if text == "":
            row[key] = None
        elif key in INT_FIELDS:
            row[key] = _to_int(text)
        elif key in FLOAT_FIELDS:
            row[key] = _to_float(text)
        elif key in BOOL_FIELDS:
            row[key] = _to_bool(text)
        else:
            row[key] = text
    return row


def load_csv(path, source):
    """Read one attnbench CSV; return (columns, rows). Raise InputError."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            reader.fieldnames = columns
            if not columns:
                raise InputError(f"{path}: empty file, not an attnbench CSV")
            missing = [c for c in REQUIRED_IDENTITY_COLUMNS if c not in columns]
            if missing:
                raise InputError(
                    f"{path}: not an attnbench CSV (no {' / '.join(missing)} column)"
                )
            rows = [convert_row(raw, source) for raw in reader]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (not UTF-8)") from None
    except csv.Error as error:
        raise InputError(f"{path}: malformed CSV ({error})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    versions = {r.get("schema_version") for r in rows} - {None} - SUPPORTED_SCHEMA_VERSIONS
    if versions:
        print(
            f"warning: {path}: schema_version {sorted(versions)} is newer than this script "
            f"knows ({sorted(SUPPORTED_SCHEMA_VERSIONS)}); plotting what it can",
            file=sys.stderr,
        )
    return columns, rows


class Dataset:
    """All rows of all input files, with the union of their columns."""

    def __init__(self, paths):
        self.sources = source_labels(paths)
        self.columns = set()
        self.rows = []
        for path, label in zip(paths, self.sources):
            columns, rows = load_csv(path, label)
            self.columns.update(columns)
            self.rows.extend(rows)

    def require(self, *columns):
        """Raise Skip if any of the columns is absent from every input file."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise Skip(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def source_labels(paths):
    """Short, unique legend labels for the input files (basename sans .csv)."""
    labels = [os.path.splitext(os.path.basename(p))[0] or p for p in paths]
    if len(set(labels)) != len(labels):
        labels = [os.path.normpath(p) for p in paths]
    if len(set(labels)) != len(labels):
        labels = [f"{label} #{i + 1}" for i, label in enumerate(labels)]
    return labels


# --------------------------------------------------------------------------
# Row selection helpers
# --------------------------------------------------------------------------

def ok_time_rows(ds):
    """Timed rows whose status is ok and which carry a median time."""
    return [
        r for r in ds.rows
        if r.get("kind") == "time" and r.get("status") == "ok"
        and r.get("wall_time_median_s") is not None and r.get("variant")
    ]


def prefill_rows(ds):
    """ok timed rows with seq_len_q == seq_len_kv (prefill shapes)."""
    return [
        r for r in ok_time_rows(ds)
        if r.get("seq_len_q") is not None and r.get("seq_len_q") == r.get("seq_len_kv")
    ]


def decode_rows(ds):
    """ok timed rows of decode shapes: seq_len_q <= 16 and < seq_len_kv."""
    return [
        r for r in ok_time_rows(ds)
        if r.get("seq_len_q") is not None and r.get("seq_len_kv") is not None
        and r["seq_len_q"] <= 16 and r["seq_len_q"] < r["seq_len_kv"]
    ]


def pick_common_shape(rows, keys):
    """Keep the rows of the most common value of `keys`; return (rows, note).

    The note says which shape was kept, and how many others were left out.
    """
    counts = Counter(tuple(r.get(k) for k in keys) for r in rows)
    shape, _ = max(counts.items(), key=lambda item: (item[1], _sortable(item[0])))
    kept = [r for r in rows if tuple(r.get(k) for k in keys) == shape]
    note = " · ".join(f"{k} {'?' if v is None else v}" for k, v in zip(keys, shape))
    if len(counts) > 1:
        note += f" (most common of {len(counts)} shapes)"
    return kept, note


def _sortable(values):
    return tuple((v is None, v if v is not None else 0) for v in values)


def panel_key(row):
    """Subplot key: (causal, threads)."""
    return (row.get("causal"), row.get("threads"))


def panel_title(key):
    causal, threads = key
    causal_text = {True: "causal", False: "non-causal"}.get(causal, "causal ?")
    if threads is None:
        return f"{causal_text} · threads ?"
    return f"{causal_text} · {threads} thread{'s' if threads != 1 else ''}"


def sorted_panels(keys):
    return sorted(set(keys), key=lambda k: ({False: 0, True: 1}.get(k[0], 2), k[1] is None, k[1] or 0))


def best_per_point(rows, x_field):
    """For each (source, variant, x) keep the row with the lowest median time.

    This picks the fastest (block_q, block_kv) pair when several were run.
    Returns {(source, variant): [row, ...] sorted by x}.
    """
    best = {}
    for r in rows:
        x = r.get(x_field)
        if x is None:
            continue
        key = (r["_source"], r["variant"], x)
        if key not in best or r["wall_time_median_s"] < best[key]["wall_time_median_s"]:
            best[key] = r
    series = defaultdict(list)
    for (source, variant, _), r in best.items():
        series[(source, variant)].append(r)
    for points in series.values():
        points.sort(key=lambda r: r[x_field])
    return dict(series)


def has_several_blocks(rows):
    pairs = defaultdict(set)
    for r in rows:
        pairs[(r["_source"], r["variant"], r.get("seq_len_kv"), panel_key(r))].add(
            (r.get("block_q"), r.get("block_kv"))
        )
    return any(len(p) > 1 for p in pairs.values())


# --------------------------------------------------------------------------
# Styling and text helpers
# --------------------------------------------------------------------------

VARIANT_ORDER = ["naive", "chunked", "flash1", "flash2", "decode"]
VARIANT_COLORS = {
    "naive": "tab:red",
    "chunked": "tab:orange",
    "flash1": "tab:blue",
    "flash2": "tab:green",
    "decode": "tab:purple",
}
EXTRA_COLORS = ["tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]
SOURCE_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]


def variant_sort_key(variant):
    return (VARIANT_ORDER.index(variant) if variant in VARIANT_ORDER else len(VARIANT_ORDER), variant)


def variant_color(variant):
    if variant in VARIANT_COLORS:
        return VARIANT_COLORS[variant]
    return EXTRA_COLORS[sum(map(ord, variant)) % len(EXTRA_COLORS)]


class Styler:
    """Colour per variant, line style and marker per source file."""

    def __init__(self, ds):
        self.sources = ds.sources
        self.multi = len(ds.sources) > 1

    def style(self, source, variant):
        linestyle, marker = SOURCE_STYLES[self.sources.index(source) % len(SOURCE_STYLES)]
        return {"color": variant_color(variant), "linestyle": linestyle, "marker": marker}

    def label(self, source, variant):
        return f"{variant} · {source}" if self.multi else variant

    def ordered(self, keys):
        return sorted(keys, key=lambda k: (variant_sort_key(k[1]), self.sources.index(k[0])))


def distinct(rows, field):
    """Distinct non-empty values of a field, most frequent first."""
    counts = Counter(r.get(field) for r in rows if r.get(field) not in (None, ""))
    return [value for value, _ in counts.most_common()]


def joined(values, limit=3):
    if not values:
        return "unknown"
    text = " / ".join(str(v) for v in values[:limit])
    return text + (" / …" if len(values) > limit else "")


def context_line(rows):
    """Machine / BLAS context of the plotted rows, for figure titles."""
    threads = sorted(distinct(rows, "threads"))
    return (
        f"CPU: {joined(distinct(rows, 'cpu_model'))}"
        f" · OpenBLAS {joined(distinct(rows, 'openblas_version'))}"
        f" (core {joined(distinct(rows, 'openblas_core'))})"
        f" · threads: {', '.join(str(t) for t in threads) if threads else 'unknown'}"
    )


def format_bytes(value, _pos=None):
    """1536 -> '1.5 KiB' (binary units)."""
    if value is None or value <= 0:
        return "0 B"
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    exponent = min(int(math.log(value, 1024)), len(units) - 1) if value >= 1 else 0
    scaled = value / 1024 ** exponent
    text = f"{scaled:.3g}" if scaled < 1000 else f"{scaled:.0f}"
    return f"{text} {units[exponent]}"


def format_seconds(value):
    """0.0123 -> '12.3 ms'."""
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def set_length_axis(ax, lengths, label):
    """Log2 x axis with a tick at every length present."""
    ax.set_xscale("log", base=2)
    ticks = sorted(set(lengths))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v))}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if len(ticks) == 1:
        ax.set_xlim(ticks[0] / 1.5, ticks[0] * 1.5)
    else:
        ax.set_xlim(ticks[0] / 1.25, ticks[-1] * 1.25)
    if len(ticks) > 8:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)
    ax.set_xlabel(label)


def set_time_axis(ax, seconds):
    """Log y axis for times given in seconds, ticks labelled in s, ms or µs."""
    top = max(seconds) if seconds else 1.0
    unit, scale = ("s", 1.0) if top >= 1 else ("ms", 1e3) if top >= 1e-3 else ("µs", 1e6)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * scale:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(f"wall time, median ({unit}, log scale)")


def make_panels(n_panels, width=6.0, height=4.2):
    """Figure with one subplot per panel (at most two per row)."""
    ncols = 1 if n_panels == 1 else 2
    nrows = math.ceil(n_panels / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows + 1.6),
        layout="constrained", squeeze=False,
    )
    flat = [ax for row in axes for ax in row]
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def add_legend(fig, axes, extra=(), rows=1):
    """One legend for the whole figure, below the plots (never over data).

    With several input files pass rows=len(files): entries are ordered
    variant by variant, so each legend column then holds one variant.
    """
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels and not label.startswith("_"):
                handles.append(handle)
                labels.append(label)
    for handle, label in extra:
        if label not in labels:
            handles.append(handle)
            labels.append(label)
    if handles:
        ncols = math.ceil(len(labels) / rows) if rows > 1 else min(len(labels), 5)
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=9)


def set_titles(fig, title, *notes):
    fig.suptitle("\n".join((title,) + tuple(n for n in notes if n)), fontsize=11)


def finish_figure(fig, axes, ds, title, shape_note, block_note, rows, extra=()):
    """Legend below the panels; title, shape and block notes and run context above."""
    add_legend(fig, axes, rows=len(ds.sources), extra=extra)
    set_titles(fig, title, " · ".join(n for n in (shape_note, block_note) if n), context_line(rows))


def panelled_rows(rows):
    """Group rows by (causal, threads) in display order."""
    groups = defaultdict(list)
    for r in rows:
        groups[panel_key(r)].append(r)
    return [(key, groups[key]) for key in sorted_panels(groups)]


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def prefill_selection(ds, *extra_columns):
    """Rows shared by the prefill figures (1, 2, 3, 7): most common shape."""
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv",
               "wall_time_median_s", *extra_columns)
    rows = prefill_rows(ds)
    if not rows:
        raise Skip("no ok prefill rows (seq_len_q == seq_len_kv)")
    rows, shape_note = pick_common_shape(rows, ("batch", "heads", "head_dim"))
    block_note = (
        "blocked variants: fastest (block_q, block_kv) per length"
        if has_several_blocks(rows) else ""
    )
    return rows, shape_note, block_note


def fig_time_vs_seq_len(ds):
    """Median wall time (s) vs prefill sequence length, log-log.

    One line per variant (per input file) with a shaded min-max band; one
    subplot per (causal, threads).  Prefill rows only, most common
    (batch, heads, head_dim); for blocked variants the fastest block pair at
    each length is shown.
    """
    rows, shape_note, block_note = prefill_selection(ds)
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (key, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for source, variant in styler.ordered(series):
            points = series[(source, variant)]
            xs = [r["seq_len_kv"] for r in points]
            ys = [r["wall_time_median_s"] for r in points]
            style = styler.style(source, variant)
            ax.plot(xs, ys, label=styler.label(source, variant), markersize=5, **style)
            lows = [r.get("wall_time_min_s") or r["wall_time_median_s"] for r in points]
            highs = [r.get("wall_time_max_s") or r["wall_time_median_s"] for r in points]
            ax.fill_between(xs, lows, highs, color=style["color"], alpha=0.15, linewidth=0)
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "sequence length (tokens)")
        set_time_axis(ax, [r["wall_time_median_s"] for r in panel_rows])
        ax.set_title(panel_title(key), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    band = (Rectangle((0, 0), 1, 1, color="gray", alpha=0.25), "min–max over repetitions")
    finish_figure(fig, axes, ds, "Attention wall time vs sequence length (prefill)", shape_note, block_note, rows,
                  extra=[band])
    return [("time_vs_seq_len", fig)]


def fig_gflops_vs_seq_len(ds):
    """Achieved GFLOP/s vs prefill sequence length.

    Same selection as time_vs_seq_len; the single-precision GEMM ceiling
    (sgemm_gflops, sampled beside each row; the median over the panel's rows
    of one CSV) is a dashed horizontal line in every subplot.
    """
    ds.require("gflops")
    rows, shape_note, block_note = prefill_selection(ds, "gflops")
    rows = [r for r in rows if r.get("gflops") is not None]
    if not rows:
        raise Skip("no ok prefill rows with gflops")
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (key, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        top = 0.0
        for source, variant in styler.ordered(series):
            points = series[(source, variant)]
            ys = [r["gflops"] for r in points]
            top = max(top, max(ys))
            ax.plot([r["seq_len_kv"] for r in points], ys,
                    label=styler.label(source, variant), markersize=5,
                    **styler.style(source, variant))
        ceilings = defaultdict(list)  # ceiling value -> sources measuring it
        for source in ds.sources:
            values = sorted(r["sgemm_gflops"] for r in panel_rows
                            if r["_source"] == source and r.get("sgemm_gflops") is not None)
            if values:
                ceilings[round(values[len(values) // 2], 3)].append(source)
        for index, (ceiling, sources) in enumerate(sorted(ceilings.items())):
            top = max(top, ceiling)
            ax.axhline(ceiling, color="black", linestyle="--", linewidth=1.2,
                       label="sgemm ceiling (sgemm_gflops)")
            suffix = f" ({', '.join(sources)})" if len(ceilings) > 1 else ""
            ax.annotate(f"sgemm {ceiling:.1f} GFLOP/s{suffix}", xy=(0.01, ceiling),
                        xycoords=("axes fraction", "data"),
                        xytext=(2, 3 if index % 2 == 0 else -10),
                        textcoords="offset points", fontsize=8)
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "sequence length (tokens)")
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        ax.set_ylabel("throughput (GFLOP/s)")
        ax.set_title(panel_title(key), fontsize=10)
        ax.grid(True, alpha=0.3)
    finish_figure(fig, axes, ds, "Attention throughput vs sequence length (prefill)", shape_note, block_note,
                  rows)
    return [("gflops_vs_seq_len", fig)]


def fig_memory_vs_seq_len(ds):
    """Peak memory (bytes) vs prefill sequence length, log-log.

    Solid lines: measured peak_memory_bytes; thin dashed lines of the same
    colour: the kernel's declared workspace_bytes.  Same selection as
    time_vs_seq_len (the fastest block pair at each length).  Non-positive
    values cannot be drawn on a log axis and are left out.
    """
    ds.require("peak_memory_bytes")
    rows, shape_note, block_note = prefill_selection(ds, "peak_memory_bytes")
    rows = [r for r in rows if (r.get("peak_memory_bytes") or 0) > 0
            or (r.get("workspace_bytes") or 0) > 0]
    if not rows:
        raise Skip("no ok prefill rows with peak_memory_bytes > 0")
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    drew_workspace = False
    for ax, (key, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for source, variant in styler.ordered(series):
            points = series[(source, variant)]
            style = styler.style(source, variant)
            peak = [(r["seq_len_kv"], r["peak_memory_bytes"]) for r in points
                    if (r.get("peak_memory_bytes") or 0) > 0]
            if peak:
                ax.plot(*zip(*peak), label=styler.label(source, variant), markersize=5, **style)
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
        ax.set_title(panel_title(key), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    extra = [(Line2D([], [], color="gray", linewidth=2), "solid: peak_memory_bytes (measured)")]
    if drew_workspace:
        extra.append((Line2D([], [], color="gray", linestyle="--", linewidth=0.9),
                      "thin dashed: workspace_bytes (declared)"))
    finish_figure(fig, axes, ds, "Attention memory vs sequence length (prefill)", shape_note, block_note, rows,
                  extra=extra)
    return [("memory_vs_seq_len", fig)]


def fig_max_seq_len(ds):
    """Longest sequence each variant ran within the budgets (maxlen rows).

    One bar per variant (per input file) and one subplot per (causal,
    threads); the best over block sizes is shown, each bar annotated with
    its length, what bounded it (memory, time, limit, error) and the block
    pair.  The memory and time budgets are in the title.
    """
    ds.require("kind", "status", "variant", "max_seq_len")
    rows = [r for r in ds.rows if r.get("kind") == "maxlen" and r.get("status") == "ok"
            and r.get("max_seq_len") is not None and r.get("variant")]
    if not rows:
        raise Skip("no maxlen rows")
    best = {}
    for r in rows:
        key = (panel_key(r), r["_source"], r["variant"])
        if key not in best or r["max_seq_len"] > best[key]["max_seq_len"]:
            best[key] = r
    styler = Styler(ds)
    panel_keys = sorted_panels(k[0] for k in best)
    fig, axes = make_panels(len(panel_keys), width=6.4, height=4.4)
    top = max(r["max_seq_len"] for r in best.values()) or 1  # one scale: panels compare
    n_sources = len(ds.sources)
    width = 0.8 / n_sources
    for ax, pkey in zip(axes, panel_keys):
        variants = sorted({k[2] for k in best if k[0] == pkey}, key=variant_sort_key)
        for s_index, source in enumerate(ds.sources):
            for v_index, variant in enumerate(variants):
                r = best.get((pkey, source, variant))
                if r is None:
                    continue
                x = v_index - 0.4 + width * (s_index + 0.5)
                hatch = [None, "//", "..", "xx", "\\\\"][s_index % 5]
                ax.bar(x, r["max_seq_len"], width=width * 0.9, color=variant_color(variant),
                       hatch=hatch, edgecolor="black", linewidth=0.5,
                       label=source if styler.multi else None)
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
        ax.set_title(panel_title(pkey), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    if styler.multi:
        handles = [Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black",
                             hatch=[None, "//", "..", "xx", "\\\\"][i % 5])
                   for i in range(n_sources)]
        fig.legend(handles, ds.sources, loc="outside lower center", ncols=min(n_sources, 5), fontsize=9)
    budgets = []
    memory = distinct(rows, "memory_budget_bytes")
    if memory:
        budgets.append("memory budget " + " / ".join(format_bytes(m) for m in memory))
    times = distinct(rows, "time_budget_s")
    if times:
        budgets.append("time budget " + " / ".join(f"{t:g} s" for t in times))
    set_titles(fig, "Maximum sequence length per variant (best over block sizes)",
               " · ".join(budgets + ["label: length, bound, block_q×block_kv"]),
               context_line(rows))
    return [("max_seq_len", fig)]


def fig_block_heatmaps(ds):
    """Median time over the block_q × block_kv grid, one figure per variant.

    Drawn for every variant with at least two distinct block pairs at one
    prefill shape; the shape used is the longest prefill length available,
    non-causal preferred, fewest threads, from the last input file that has
    one.  Cells are annotated with the median time; the fastest is framed.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv",
               "wall_time_median_s", "block_q", "block_kv")
    rows = [r for r in prefill_rows(ds)
            if r.get("block_q") is not None and r.get("block_kv") is not None]
    if not rows:
        raise Skip("no ok prefill rows with block sizes")
    groups = defaultdict(list)
    for r in rows:
        groups[(r["variant"], r["_source"], r.get("batch"), r.get("heads"), r.get("head_dim"),
                r["seq_len_kv"], r.get("causal"), r.get("threads"))].append(r)
    chosen = {}
    for key, members in groups.items():
        if len({(r["block_q"], r["block_kv"]) for r in members}) < 2:
            continue
        variant, source, _b, _h, _d, length, causal, threads = key
        rank = (-ds.sources.index(source), -length, causal is not False, threads or 0)
        if variant not in chosen or rank < chosen[variant][0]:
            chosen[variant] = (rank, key)
    if not chosen:
        raise Skip("no variant has two or more block pairs at one shape")
    figures = []
    for variant in sorted(chosen, key=variant_sort_key):
        key = chosen[variant][1]
        _v, source, batch, heads, head_dim, length, causal, threads = key
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
        values = [v for row in grid for v in row if not math.isnan(v)]
        low, high = min(values), max(values)
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
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                           edgecolor="tab:blue", linewidth=2.5))
        ax.set_xticks(range(len(kvs)))
        ax.set_xticklabels([str(v) for v in kvs])
        ax.set_yticks(range(len(qs)))
        ax.set_yticklabels([str(v) for v in qs])
        ax.set_xlabel("block_kv (keys per block)")
        ax.set_ylabel("block_q (queries per block)")
        shape = (f"seq_len {length} · batch {batch} · heads {heads} · head_dim {head_dim} · "
                 f"{panel_title((causal, threads))}")
        from_note = f" · from {source}" if len(ds.sources) > 1 else ""
        set_titles(fig, f"{variant}: median time by block size (framed: fastest)",
                   shape + from_note, context_line(groups[key]))
        figures.append((f"block_heatmap_{safe_name(variant)}", fig))
    return figures


def fig_decode_time_vs_kv_len(ds):
    """Decode shapes: median wall time (s) vs KV length, log-log.

    Rows with seq_len_q <= 16 and seq_len_q < seq_len_kv (most common
    batch / heads / head_dim / seq_len_q), one line per variant (no band:
    decode timings are short and their extremes swamp the plot), one subplot per (causal, threads); fastest block pair per
    length for blocked variants.
    """
    ds.require("kind", "status", "variant", "seq_len_q", "seq_len_kv", "wall_time_median_s")
    rows = decode_rows(ds)
    if not rows:
        raise Skip("no ok decode rows (seq_len_q <= 16 and < seq_len_kv)")
    rows, shape_note = pick_common_shape(rows, ("batch", "heads", "head_dim", "seq_len_q"))
    block_note = "blocked variants: fastest (block_q, block_kv) per length" if has_several_blocks(rows) else ""
    styler = Styler(ds)
    panels = panelled_rows(rows)
    fig, axes = make_panels(len(panels))
    for ax, (key, panel_rows) in zip(axes, panels):
        series = best_per_point(panel_rows, "seq_len_kv")
        for source, variant in styler.ordered(series):
            points = series[(source, variant)]
            xs = [r["seq_len_kv"] for r in points]
            ax.plot(xs, [r["wall_time_median_s"] for r in points],
                    label=styler.label(source, variant), markersize=5,
                    **styler.style(source, variant))
        set_length_axis(ax, [r["seq_len_kv"] for r in panel_rows], "KV length (tokens)")
        set_time_axis(ax, [r["wall_time_median_s"] for r in panel_rows])
        ax.set_title(panel_title(key), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    finish_figure(fig, axes, ds, "Decode: wall time vs KV length", shape_note, block_note, rows)
    return [("decode_time_vs_kv_len", fig)]


def fig_speedup_over_naive(ds):
    """Speed-up over the naive kernel vs prefill sequence length.

    naive median time / variant median time (fastest block pair), same file,
    same (causal, threads) and length; one line per non-naive variant and a
    horizontal line at 1 (no speed-up).  Above 1 = faster than naive.
    """
    rows, shape_note, block_note = prefill_selection(ds)
    styler = Styler(ds)
    panels = panelled_rows(rows)
    drawn = []
    for key, panel_rows in panels:
        series = best_per_point(panel_rows, "seq_len_kv")
        lines = {}
        for (source, variant), points in series.items():
            if variant == "naive":
                continue
            naive = {r["seq_len_kv"]: r["wall_time_median_s"] for r in series.get((source, "naive"), [])}
            pts = [(r["seq_len_kv"], naive[r["seq_len_kv"]] / r["wall_time_median_s"])
                   for r in points if r["seq_len_kv"] in naive and r["wall_time_median_s"] > 0]
            if pts:
                lines[(source, variant)] = pts
        if lines:
            drawn.append((key, panel_rows, lines))
    if not drawn:
        raise Skip("no prefill length has both naive and another variant")
    fig, axes = make_panels(len(drawn))
    for ax, (key, panel_rows, lines) in zip(axes, drawn):
        values = []
        for source, variant in styler.ordered(lines):
            xs, ys = zip(*lines[(source, variant)])
            values.extend(ys)
            ax.plot(xs, ys, label=styler.label(source, variant), markersize=5,
                    **styler.style(source, variant))
        ax.axhline(1.0, color="black", linewidth=1, linestyle="-", alpha=0.7,
                   label="1× (as fast as naive)")
        set_length_axis(ax, [x for pts in lines.values() for x, _ in pts], "sequence length (tokens)")
        ax.set_ylim(0, max(values + [1.0]) * 1.15)
        ax.set_ylabel("speed-up over naive (×, higher is faster)")
        ax.set_title(panel_title(key), fontsize=10)
        ax.grid(True, alpha=0.3)
    finish_figure(fig, axes, ds, "Speed-up over naive attention (prefill, naive time / variant time)",
                  shape_note, block_note, rows)
    return [("speedup_over_naive", fig)]


def safe_name(text):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


# (file name used in skip messages, figure function)
FIGURES = [
    ("time_vs_seq_len.png", fig_time_vs_seq_len),
    ("gflops_vs_seq_len.png", fig_gflops_vs_seq_len),
    ("memory_vs_seq_len.png", fig_memory_vs_seq_len),
    ("max_seq_len.png", fig_max_seq_len),
    ("block_heatmap_*.png", fig_block_heatmaps),
    ("decode_time_vs_kv_len.png", fig_decode_time_vs_kv_len),
    ("speedup_over_naive.png", fig_speedup_over_naive),
]


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def save(fig, output_dir, stem, svg):
    """Write the figure as PNG (and SVG); return the paths written."""
    paths = [os.path.join(output_dir, stem + ".png")]
    if svg:
        paths.append(os.path.join(output_dir, stem + ".svg"))
    try:
        for path in paths:
            fig.savefig(path, dpi=120 if path.endswith(".png") else None)
    finally:
        plt.close(fig)
    return paths


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Plot attnbench result CSVs (headless; writes PNG, and SVG with --svg).",
    )
    parser.add_argument("inputs", nargs="+", metavar="RESULTS.csv", help="attnbench CSV file(s)")
    parser.add_argument("--output-dir", required=True, help="directory for the figures (created)")
    parser.add_argument("--svg", action="store_true", help="also write an SVG of every figure")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        ds = Dataset(args.inputs)
    except InputError as error:
        print(f"plot.py: {error}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as error:
        print(f"plot.py: cannot create {args.output_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    written = []
    for name, make in FIGURES:
        try:
            figures = make(ds)
        except Skip as reason:
            print(f"skipping {name}: {reason}", file=sys.stderr)
            continue
        except Exception as error:  # a bug must not hide the other figures
            plt.close("all")
            message = str(error).splitlines()[0] if str(error) else ""
            print(f"skipping {name}: internal error: {type(error).__name__}: {message}", file=sys.stderr)
            continue
        for stem, fig in figures:
            try:
                written.extend(save(fig, args.output_dir, stem, args.svg))
            except OSError as error:
                print(f"plot.py: cannot write {stem}: {error.strerror or error}", file=sys.stderr)
                return 2
    if not written:
        print("plot.py: nothing to plot: no figure could be drawn from the input", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} file(s):")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
