#!/usr/bin/env bash
# Creates .venv-peers/ (git-ignored) with the peer runtimes that scripts/frameworks.py measures:
# PyTorch (CPU wheel), JAX, OpenVINO, ONNX Runtime (with onnx, which builds its graphs) and ggml
# (ggml-python, which builds llama.cpp's ggml from source: a C/C++ compiler and CMake, a minute or
# two). They are
# not dependencies of attnbench and never go into the system Python. Usage:
#
#     scripts/peers-venv.sh                       # creates or updates .venv-peers
#     .venv-peers/bin/python scripts/frameworks.py --help
#
# The versions are pinned so that runs months apart measure the same peers; change them here
# (and say so beside the results) to measure newer ones. The "+cpu" torch wheel (no CUDA
# libraries) must be findable by pip: from a --find-links folder (PIP_FIND_LINKS) or from PyTorch's
# CPU wheel index given as PIP_EXTRA_INDEX_URL. Without it the other runtimes are still installed,
# and the pytorch peers' rows say that torch is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${PEERS_VENV:-$root/.venv-peers}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install "jax[cpu]==0.10.2" "numpy==2.4.6" \
    "openvino==2026.4.1" "onnxruntime==1.32.0" "onnx==1.23.2"
if ! "$venv/bin/python" -m pip install "ggml-python==0.0.45"; then
    echo "peers-venv.sh: ggml-python==0.0.45 did not build; the other peers are installed" >&2
fi
if ! "$venv/bin/python" -m pip install "torch==2.13.0+cpu" "numpy==2.4.6"; then
    echo "peers-venv.sh: torch==2.13.0+cpu not found (set PIP_FIND_LINKS or PIP_EXTRA_INDEX_URL);" \
         "the other peers are installed" >&2
fi
"$venv/bin/python" - <<'PY'
import importlib
import importlib.metadata

for module, package in (("torch", "torch"), ("jax", "jax"), ("numpy", "numpy"), ("openvino", "openvino"),
                        ("onnxruntime", "onnxruntime"), ("onnx", "onnx"), ("ggml", "ggml-python")):
    try:
        importlib.import_module(module)
        print(f"{package} {importlib.metadata.version(package)}")
    except ImportError as error:
        print(f"{package}: not installed ({error})")
PY
