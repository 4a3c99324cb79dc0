#!/usr/bin/env bash
# Creates .venv-peers/ (git-ignored) with the peer frameworks that scripts/frameworks.py measures:
# PyTorch (CPU wheel) and JAX. They are not dependencies of attnbench and never go into the
# system Python. Usage:
#
#     scripts/peers-venv.sh                       # creates or updates .venv-peers
#     .venv-peers/bin/python scripts/frameworks.py --help
#
# The versions are pinned so that runs months apart measure the same peers; change them here
# (and say so beside the results) to measure newer ones. The "+cpu" torch wheel (no CUDA
# libraries) must be findable by pip: from a --find-links folder (PIP_FIND_LINKS) or from PyTorch's
# CPU wheel index given as PIP_EXTRA_INDEX_URL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${PEERS_VENV:-$root/.venv-peers}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install "torch==2.13.0+cpu" "jax[cpu]==0.10.2" "numpy==2.4.6"
"$venv/bin/python" - <<'PY'
import jax, numpy, torch
print(f"torch {torch.__version__}, jax {jax.__version__}, numpy {numpy.__version__}")
PY
