#!/usr/bin/env python3
"""Print a Markdown summary of peers beside attnbench, for a results page.

Usage:
    python3 scripts/peers_table.py RESULTS.csv [MORE.csv ...] [--full]

The input is attnbench's CSV schema with peer rows (scripts/frameworks.py --schema attnbench, or
attnbench merge of such files).  One line per shape, element type and thread count: the fastest peer
and its figure, attnbench's fastest variant (fp32) and its figure, and attnbench / peer (above 1:
attnbench is faster); GFLOP/s for prefill shapes, GB/s of K/V read for decode shapes.  Only ok rows
compete; the peers that did not run are named below the table.  --full adds every implementation.

Exit status: 0 when the table was printed; 2 when an input is unusable or holds no peer rows.
Needs the standard library only (no matplotlib).  The code is scripts/attnplot/peertable.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from attnplot.peertable import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
