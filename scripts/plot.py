#!/usr/bin/env python3
"""Draw figures from one or more attnbench result CSVs.

Usage:
    python3 scripts/plot.py RESULTS.csv [MORE.csv ...] --output-dir DIR [--svg]

Every figure is written as PNG (and SVG as well with --svg) into DIR:

    time_vs_seq_len.png         median wall time vs prefill length, min-max band
    gflops_vs_seq_len.png       GFLOP/s vs prefill length; FMA peak, sgemm peak, GEMM roofline
    memory_vs_seq_len.png       peak memory (and workspace) vs prefill length
    max_seq_len.png             longest sequence each variant ran within budget
    block_heatmap_<variant>.png median time over block_q x block_kv
    decode_time_vs_kv_len.png   decode shapes: median time vs KV length
    speedup_over_naive.png      naive median time / variant median time
    fused_vs_flash2.png         fused vs flash2 GFLOP/s per shape (when both were run)
    peers.png                   attnbench beside other runtimes per shape, element type and threads
                                (when peer rows are present: scripts/frameworks.py --schema attnbench)
    attention_share_vs_seq_len.png  attention's share of the transformer layer vs length, per model
                                and phase (when layer rows are present: attnbench sweep --layer)
    layer_speedup.png           speed-up over naive of the attention alone and of the whole layer

The columns and their types come from schema/columns.json; a CSV of an older schema_version
is refused.  Rows with a model preset get one panel per model.  Each series is drawn once per
run (input file × machine): same colour per variant, a different line style and marker per
run, and legends name the file and the machine when there are several.  A figure that cannot
be drawn (missing columns, no rows) is skipped with a one-line message on stderr.

Exit status: 0 when at least one figure was written; 2 when an input file is missing,
unreadable, not an attnbench CSV or of an older schema, or when nothing could be plotted;
3 when matplotlib is not installed.

The code is the package scripts/attnplot/; this file is its entry point.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import matplotlib  # noqa: F401  (checked here so the message names the fix)
except ImportError:  # pragma: no cover - depends on the environment
    print(
        "plot.py: matplotlib is not installed; run: python3 -m pip install -r scripts/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(3)

from attnplot.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
