#!/usr/bin/env python3
"""Measure other runtimes' CPU attention (PyTorch, JAX, OpenVINO, ONNX Runtime, ggml) at attnbench's shapes,
interleaved with attnbench.

The command of the package scripts/peers/ (its docstring, and --help, say what it measures and how);
it also re-exports the package's names for `import frameworks`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from peers import *  # noqa: E402,F401,F403
from peers.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
