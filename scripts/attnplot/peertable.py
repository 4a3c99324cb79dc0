"""Markdown summary of peers beside attnbench, for a results page (standard library only).

Per shape, element type and thread count: the fastest peer and its figure, attnbench's fastest
variant (fp32) and its figure, and attnbench / peer (above 1: attnbench is faster).  Only ok rows
compete; the peers that did not run are named below the table.  With `full`, a second table lists
every implementation.
"""

import argparse

from .peerdata import (
    ATTNBENCH, FP32, entries, etype_sort_key, fastest, is_decode_shape, shape_sort_key, shape_text,
    shape_models, threads_sort_key,
)
from .schema import print_table

PROGRAM = "peers_table.py"
MATERIALISES_MARK = "†"


def figure(entry):
    unit = "GB/s" if is_decode_shape(entry.shape) else "GFLOP/s"
    return f"{entry.value:.1f} {unit}"


def named(entry):
    return f"{entry.name}{MATERIALISES_MARK if entry.materialises else ''}"


def summary(found):
    """[(shape, etype, threads, fastest peer or None, attnbench's fastest or None, ratio or None)].

    attnbench's fastest is taken in the row's element type where attnbench measured it, else in fp32."""
    ours = {}
    for e in found:
        if e.runtime == ATTNBENCH:
            ours.setdefault((e.shape, e.etype, e.threads), []).append(e)
    cells = {}
    for e in found:
        key = (e.shape, e.etype, e.threads)
        cells.setdefault(key, [])
        if e.runtime != ATTNBENCH:
            cells[key].append(e)
    lines = []
    for shape, etype, threads in sorted(cells, key=lambda k: (shape_sort_key(k[0]), etype_sort_key(k[1]),
                                                              threads_sort_key(k[2]))):
        peer = fastest(cells[(shape, etype, threads)])
        mine = fastest(ours.get((shape, etype, threads)) or ours.get((shape, FP32, threads), []))
        ratio = mine.value / peer.value if peer and mine and peer.value > 0 else None
        lines.append((shape, etype, threads, peer, mine, ratio))
    return lines


def markdown(rows, full=False):
    """The summary table (and with `full` the per-implementation table) of the rows, as Markdown."""
    found = entries(rows)
    models = shape_models(rows)
    out = ["| shape | type | threads | fastest peer | peer | attnbench, fastest (same type, else fp32) | attnbench | "
           "attnbench / peer |",
           "|---|---|---:|---|---:|---|---:|---:|"]
    lines = summary(found)
    for shape, etype, threads, peer, mine, ratio in lines:
        out.append(" | ".join([
            f"| {shape_text(shape, models)}", etype, "?" if threads is None else str(threads),
            named(peer) if peer else "—", figure(peer) if peer else "—",
            mine.name.removeprefix(f"{ATTNBENCH} ") if mine else "—", figure(mine) if mine else "—",
            f"{ratio:.2f} |" if ratio is not None else "— |"]))
    notes = []
    shown = found if full else [e for line in lines for e in line[3:5] if e is not None]
    if any(e.materialises for e in shown):
        notes.append(f"{MATERIALISES_MARK} materialises the scores (its path says so, or its peak memory "
                     "reaches the B·H·Nq·Nk score matrix).")
    not_run = not_run_notes(found)
    if not_run:
        notes.append("Did not run (left out of the comparison): " + "; ".join(not_run) + ".")
    text = "\n".join(out) + "\n"
    if notes:
        text += "\n" + "\n\n".join(notes) + "\n"
    if full:
        text += "\n" + full_table(found, models)
    return text


def not_run_notes(found):
    """'pytorch: missing: torch (pytorch-sdpa-flash, pytorch-sdpa-math)' per runtime and reason."""
    names = {}
    for e in found:
        if e.status != "ok":
            names.setdefault((e.runtime, e.status), set()).add(e.name)
    return [f"{runtime}: {status} ({', '.join(sorted(members))})"
            for (runtime, status), members in sorted(names.items())]


def full_table(found, models=None):
    out = ["| shape | type | threads | implementation | median | min–max | rounds | status |",
           "|---|---|---:|---|---:|---:|---:|---|"]
    for e in sorted(found, key=lambda e: (shape_sort_key(e.shape), etype_sort_key(e.etype),
                                          threads_sort_key(e.threads), -(e.value or 0.0), e.name)):
        spread = f"{e.low:.1f}–{e.high:.1f}" if e.rounds > 1 else "—"
        status = e.status if not e.failed or e.status != "ok" else f"ok ({e.failed} not ok)"
        out.append(f"| {shape_text(e.shape, models)} | {e.etype} | {'?' if e.threads is None else e.threads} | "
                   f"{named(e)} | {figure(e) if e.value is not None else '—'} | {spread} | {e.rounds} | {status} |")
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Print a Markdown table of the fastest peer and attnbench's fastest variant per shape, "
                    "element type and thread count, from CSVs in attnbench's schema with peer rows "
                    "(scripts/frameworks.py --schema attnbench).")
    parser.add_argument("inputs", nargs="+", metavar="RESULTS.csv", help="attnbench-schema CSV file(s)")
    parser.add_argument("--full", action="store_true", help="also print every implementation's median")
    args = parser.parse_args(argv)

    def render(rows):
        return markdown(rows, full=args.full) if any(r.get("kind") == "peer" for r in rows) else ""
    return print_table(PROGRAM, args.inputs, render, "no peer rows (kind peer) in the input")
