#!/usr/bin/env python3
"""Print Markdown tables of attention beside the rest of the transformer layer, for a results page.

Usage:
    python3 scripts/layer_table.py RESULTS.csv [MORE.csv ...]

The input is attnbench's CSV with layer columns (attnbench sweep --model M --layer).  Per model,
phase (prefill, decode) and thread count: each variant's attention_share at every length and the
length from which the attention takes at least half of the layer (≈ when interpolated in log2 of
the length); each variant's speed-up over naive for the attention alone and for the whole layer, and
the fraction of the attention's gain the layer keeps; and, on decode rows, the estimated time per
generated token.  Lengths at which naive did not run (oom, ...) have no speed-up and say so.

Exit status: 0 when the tables were printed; 2 when an input is unusable or holds no layer rows.
Needs the standard library only (no matplotlib).  The code is scripts/attnplot/layertable.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from attnplot.layertable import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
