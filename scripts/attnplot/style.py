"""Colours, line styles, axes, legends and titles shared by every figure.

Colour names the variant; line style and marker name the run (input file × machine).  Importing
this module selects matplotlib's headless Agg backend; figure modules take `plt` from here.
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import (  # noqa: E402
    FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator,
)

from .selection import distinct, machine_labels, machines_in_short, median_by_machine  # noqa: E402

VARIANT_ORDER = ["naive", "chunked", "flash1", "flash2", "decode", "fused"]
VARIANT_COLORS = {
    "naive": "tab:red",
    "chunked": "tab:orange",
    "flash1": "tab:blue",
    "flash2": "tab:green",
    "decode": "tab:purple",
    "fused": "tab:cyan",
}
EXTRA_COLORS = ["tab:brown", "tab:pink", "tab:olive", "tab:gray"]
RUN_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]
RUN_HATCHES = [None, "//", "..", "xx", "\\\\"]
CHARACTERS_PER_INCH = 13  # of 9-point legend text, roughly
# make_panels leaves room for this much text above and below the panels; more grows the figure.
TITLE_LINES_ALLOWED, LEGEND_ROWS_ALLOWED, INCHES_PER_LINE = 3, 2, 0.2

# Throughput references: column, legend label, line style.  The FMA peak is the physical
# ceiling; the sgemm peak what OpenBLAS reaches on a large square GEMM; the roofline what it
# reaches on attention's own GEMM shapes (not a ceiling: fused kernels can beat it).
REFERENCES = [
    ("fma_peak_gflops", "FMA peak", {"color": "black", "linestyle": "-", "linewidth": 1.3}),
    ("sgemm_peak_gflops", "sgemm peak", {"color": "black", "linestyle": "--", "linewidth": 1.2}),
    ("gemm_roofline_gflops", "GEMM roofline (attention shapes)",
     {"color": "dimgray", "linestyle": "-.", "linewidth": 1.0}),
]


def variant_sort_key(variant):
    return (VARIANT_ORDER.index(variant) if variant in VARIANT_ORDER else len(VARIANT_ORDER), variant)


def variant_color(variant):
    if variant in VARIANT_COLORS:
        return VARIANT_COLORS[variant]
    return EXTRA_COLORS[sum(map(ord, variant)) % len(EXTRA_COLORS)]


class Styler:
    """Colour per variant; line style, marker and hatch per run (input file × machine).

    Legends name the file only when there are several files and the machine only when there
    are several machines.
    """

    def __init__(self, ds):
        self.runs = list(ds.runs)
        self.multi_source = len(ds.sources) > 1
        self.machine_names = machine_labels(ds.machines)
        self.multi_machine = len(ds.machines) > 1

    @property
    def multi(self):
        return self.multi_source or self.multi_machine

    def _index(self, run):
        return self.runs.index(run) if run in self.runs else 0

    def run_label(self, run):
        source, machine = run
        parts = ([source] if self.multi_source else []) + (
            [self.machine_names.get(machine, "?")] if self.multi_machine else [])
        return " · ".join(parts)

    def style(self, run, variant):
        linestyle, marker = RUN_STYLES[self._index(run) % len(RUN_STYLES)]
        return {"color": variant_color(variant), "linestyle": linestyle, "marker": marker}

    def hatch(self, run):
        return RUN_HATCHES[self._index(run) % len(RUN_HATCHES)]

    def label(self, run, variant):
        suffix = self.run_label(run)
        return f"{variant} · {suffix}" if suffix else variant

    def ordered(self, keys):
        """(run, variant) keys variant by variant, runs in input order."""
        return sorted(keys, key=lambda k: (variant_sort_key(k[1]), self._index(k[0])))


def joined(values, limit=3):
    if not values:
        return "unknown"
    text = " / ".join(str(v) for v in values[:limit])
    return text + (" / …" if len(values) > limit else "")


def context_line(rows):
    """Machine / BLAS context of the plotted rows, for figure titles.

    One machine: its full CPU model, cores, FMA vector width and OpenBLAS version and core.
    Several: each machine's short label (CPU model · cores · OpenBLAS core).
    """
    threads = sorted(distinct(rows, "threads"))
    thread_text = f"threads: {', '.join(str(t) for t in threads) if threads else 'unknown'}"
    machines = list(dict.fromkeys(r["_machine"] for r in rows))
    if len(machines) > 1:
        labels = machine_labels(machines)
        return f"{len(machines)} machines: " + " | ".join(labels[m] for m in machines) + f" · {thread_text}"
    cores = joined(distinct(rows, "cpu_cores"))
    bits = distinct(rows, "cpu_vector_bits")
    vector = f", {joined(bits)}-bit FMA" if bits else ""
    return (
        f"CPU: {joined(distinct(rows, 'cpu_model'))} ({cores} cores{vector})"
        f" · OpenBLAS {joined(distinct(rows, 'openblas_version'))}"
        f" (core {joined(distinct(rows, 'openblas_core'))})"
        f" · {thread_text}"
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


def draw_references(ax, rows, multi_machine, columns=None):
    """Horizontal lines at the FMA peak, sgemm peak and GEMM roofline of the rows (or only
    the REFERENCES columns given).

    Each is the median over the rows of one machine (the rows share one thread count);
    machines with the same value share one line, and its note names them.  Returns the
    highest value drawn (0 when none).
    """
    top, index = 0.0, 0
    for column, label, line in REFERENCES:
        if columns is not None and column not in columns:
            continue
        machines_at = {}  # value -> machines measuring it
        for machine, value in median_by_machine(rows, column).items():
            machines_at.setdefault(round(value, 1), []).append(machine)
        for value, machines in sorted(machines_at.items()):
            top = max(top, value)
            ax.axhline(value, label=label, **line)
            suffix = f" ({machines_in_short(machines)})" if multi_machine else ""
            note = ax.annotate(f"{label} {value:.1f} GFLOP/s{suffix}", xy=(0.01, value),
                               xycoords=("axes fraction", "data"), xytext=(2, 3 if index % 2 == 0 else -10),
                               textcoords="offset points", fontsize=7, clip_on=True)
            note.set_in_layout(False)  # a long note is clipped at the panel edge, not given room
            index += 1
    return top


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

    With several runs pass rows=number of runs: entries are ordered variant by variant, so
    each legend column then holds one variant.
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
        # Long labels (several machines) get fewer columns so the legend fits the figure.
        fitting = int(fig.get_figwidth() * CHARACTERS_PER_INCH / (max(map(len, labels)) + 6))
        ncols = max(1, min(ncols, fitting))
        grow(fig, math.ceil(len(labels) / ncols) - LEGEND_ROWS_ALLOWED)
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=9)


def set_titles(fig, title, *notes):
    """Title and notes above the panels, notes wrapped to the figure's width."""
    width = int(fig.get_figwidth() * CHARACTERS_PER_INCH * 0.8)  # the title font is larger
    text = "\n".join([title] + [wrap_note(n, width) for n in notes if n])
    grow(fig, text.count("\n") + 1 - TITLE_LINES_ALLOWED)
    fig.suptitle(text, fontsize=11)


def grow(fig, extra_lines):
    """Make the figure taller by `extra_lines` lines of text, so long titles and legends do
    not squeeze the panels."""
    if extra_lines > 0:
        fig.set_figheight(fig.get_figheight() + INCHES_PER_LINE * extra_lines)


def wrap_note(text, width):
    """Lines of at most `width` characters, broken between machines (' | ') first and between
    items (' · ') only inside a machine or note too long for one line."""
    lines = []
    for line in _greedy_lines(text.split(" | "), " | ", width):
        lines.extend([line] if len(line) <= width else _greedy_lines(line.split(" · "), " · ", width))
    return "\n".join(lines)


def _greedy_lines(parts, separator, width):
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + len(separator) + len(part) > width:
            lines[-1] += separator.rstrip()
            lines.append(part)
        else:
            lines[-1] += separator + part
    return lines


def finish_figure(fig, axes, styler, title, notes, rows, extra=()):
    """Legend below the panels; title, notes (shape, blocks) and run context above."""
    add_legend(fig, axes, rows=max(len(styler.runs), 1), extra=extra)
    set_titles(fig, title, " · ".join(n for n in notes if n), context_line(rows))


def safe_name(text):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
