"""Command line: parse → load → draw every figure → save → exit status.

Exit status: 0 when at least one figure was written; 2 when an input file is missing,
unreadable, not an attnbench CSV or of an older schema_version, or when nothing could be
plotted.  (3, matplotlib missing, is decided by scripts/plot.py before this module loads.)
"""

import argparse
import os
import sys

from .blocks import fig_block_heatmaps
from .decode import fig_decode_time_vs_kv_len
from .layerfigure import fig_attention_share, fig_layer_speedup
from .maxlen import fig_max_seq_len
from .peerfigure import fig_peers
from .prefill import fig_memory_vs_seq_len, fig_speedup_over_naive, fig_time_vs_seq_len
from .schema import Dataset, InputError, Skip
from .style import plt
from .throughput import fig_fused_vs_flash2, fig_gflops_vs_seq_len

PROGRAM = "plot.py"

# (file name used in skip messages, figure function returning [(stem, figure)])
FIGURES = [
    ("time_vs_seq_len.png", fig_time_vs_seq_len),
    ("gflops_vs_seq_len.png", fig_gflops_vs_seq_len),
    ("memory_vs_seq_len.png", fig_memory_vs_seq_len),
    ("max_seq_len.png", fig_max_seq_len),
    ("block_heatmap_*.png", fig_block_heatmaps),
    ("decode_time_vs_kv_len.png", fig_decode_time_vs_kv_len),
    ("speedup_over_naive.png", fig_speedup_over_naive),
    ("fused_vs_flash2.png", fig_fused_vs_flash2),
    ("peers.png", fig_peers),
    ("attention_share_vs_seq_len.png", fig_attention_share),
    ("layer_speedup.png", fig_layer_speedup),
]


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
        prog=PROGRAM,
        description="Plot attnbench result CSVs (headless; writes PNG, and SVG with --svg).",
    )
    parser.add_argument("inputs", nargs="+", metavar="RESULTS.csv", help="attnbench CSV file(s)")
    parser.add_argument("--output-dir", required=True, help="directory for the figures (created)")
    parser.add_argument("--svg", action="store_true", help="also write an SVG of every figure")
    return parser.parse_args(argv)


def draw_all(ds):
    """Yield (stem, figure) for every figure that can be drawn; one stderr line per skipped one."""
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
        yield from figures


def main(argv=None):
    args = parse_args(argv)
    try:
        ds = Dataset(args.inputs)
    except InputError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as error:
        print(f"{PROGRAM}: cannot create {args.output_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    written = []
    for stem, fig in draw_all(ds):
        try:
            written.extend(save(fig, args.output_dir, stem, args.svg))
        except OSError as error:
            plt.close("all")
            print(f"{PROGRAM}: cannot write {stem}: {error.strerror or error}", file=sys.stderr)
            return 2
    if not written:
        print(f"{PROGRAM}: nothing to plot: no figure could be drawn from the input", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} file(s):")
    for path in written:
        print(path)
    return 0
