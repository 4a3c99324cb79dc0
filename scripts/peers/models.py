"""attnbench's model presets (`attnbench models`), read at run time so that the peers measure the
very shapes attnbench's --model gives: heads, K/V heads, head_dim, window and causal."""

import os
import pathlib
import subprocess

# The wrapper that builds attnbench when needed: the last resort, after --attnbench and ATTNBENCH_BINARY.
WRAPPER = pathlib.Path(__file__).resolve().parents[1] / "attnbench"


def attnbench_binary(given=None):
    """The attnbench to ask: --attnbench, else $ATTNBENCH_BINARY, else scripts/attnbench."""
    return given or os.environ.get("ATTNBENCH_BINARY") or str(WRAPPER)


def parse_models(text):
    """{name: {heads, kv_heads, head_dim, window, causal, source}} from `attnbench models` (a header
    line, then one tab-separated line per preset; window 'none' is None)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("attnbench models printed nothing")
    header = lines[0].split("\t")
    needed = ["model", "heads", "kv_heads", "head_dim", "window", "causal"]
    missing = [name for name in needed if name not in header]
    if missing:
        raise ValueError(f"attnbench models: no column {', '.join(missing)} in {lines[0]!r}")
    presets = {}
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t")))
        try:
            presets[cells["model"]] = {
                "heads": int(cells["heads"]), "kv_heads": int(cells["kv_heads"]), "head_dim": int(cells["head_dim"]),
                "window": None if cells["window"] in ("none", "") else int(cells["window"]),
                "causal": {"true": True, "false": False}[cells["causal"]], "source": cells.get("source", "")}
        except (KeyError, ValueError) as error:
            raise ValueError(f"attnbench models: cannot read {line!r} ({error})")
    return presets


def read_models(binary):
    """The presets of attnbench `binary` (parse_models of its `models` output); SystemExit if it fails."""
    try:
        process = subprocess.run([binary, "models"], capture_output=True, text=True, timeout=600)
    except OSError as error:
        raise SystemExit(f"--model: cannot run {binary!r} models ({error}); pass --attnbench BINARY")
    if process.returncode != 0:
        last = process.stderr.strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
        raise SystemExit(f"--model: {binary} models failed: {last[0]}")
    try:
        return parse_models(process.stdout)
    except ValueError as error:
        raise SystemExit(f"--model: {error}")


def chosen_models(text, presets):
    """The presets named in --model (comma-separated), in that order; SystemExit naming an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in presets:
            raise SystemExit(f"--model: unknown model {name!r}; attnbench models lists {', '.join(presets)}")
    if not names:
        raise SystemExit("--model: no model named")
    return [(name, presets[name]) for name in dict.fromkeys(names)]
