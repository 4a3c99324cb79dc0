"""The command line: options, the rounds over peers and shapes, and the summary table."""

import argparse
import csv
import json
import os
import sys
import time

from . import schema_rows
from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .child import *  # noqa: F401,F403
from .attnbench_driver import *  # noqa: F401,F403


# ---- Summary ---------------------------------------------------------------------------------

def split_suffix(devices):
    """' /2' for a row split over 2 devices, '' for one device or none recorded."""
    return "" if str(devices) in ("", "1") else f" /{devices}"


def mebibytes(values):
    """'512.3' (MiB, the largest of the rounds) from extra_peak_memory_bytes values; '' if none."""
    found = [int(v) for v in values if str(v).strip() not in ("", "None")]
    return f"{max(found) / 2 ** 20:.1f}" if found else ""


def summary_table(rows):
    """Markdown: GFLOP/s min–max over rounds per (shape, causal, threads) and peer, with the
    blocks the peer chose, the ceilings attnbench measured beside it, the extra peak memory of its
    first call (the largest over rounds) and what it ran (path)."""
    groups = {}
    for row in rows:
        if row.get("status") not in ("ok", ""):
            continue
        key = (int(row["seq_len"]), int(row["head_dim"]), row["causal"], int(row["threads"]))
        groups.setdefault(key, {}).setdefault(f"{row['framework']}-{row['variant']}", []).append(row)
    lines = ["| N | d | causal | threads | peer | GFLOP/s (min–max) | blocks (q×kv) | FMA peak | sgemm peak "
             "| extra peak MiB | path |",
             "|---:|---:|---|---:|---|---:|---|---:|---:|---:|---|"]
    for key in sorted(groups):
        peers = groups[key]
        for name in sorted(peers, key=lambda p: -max(float(r["gflops"]) for r in peers[p])):
            found = peers[name]
            values = sorted(float(r["gflops"]) for r in found)
            span = f"{values[0]:.1f}" if values[0] == values[-1] else f"{values[0]:.1f}–{values[-1]:.1f}"
            blocks = sorted({f"{r['block_q']}×{r['block_kv']}" + split_suffix(r.get("devices", ""))
                             for r in found if r.get("block_kv")})
            fma = sorted({r["fma_peak_gflops"] for r in found if r.get("fma_peak_gflops")})
            sgemm = sorted({r["sgemm_peak_gflops"] for r in found if r.get("sgemm_peak_gflops")})
            paths = sorted({r["path"] for r in found if r.get("path")})
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {name} | {span} | {', '.join(blocks)} "
                         f"| {'/'.join(fma)} | {'/'.join(sgemm)} "
                         f"| {mebibytes(r.get('extra_peak_memory_bytes', '') for r in found)} | {'; '.join(paths)} |")
    return "\n".join(lines)


def positive_list(text, flag):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"{flag}: expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"{flag}: values must be >= 1, got {text!r}")
    return values


def selected_peers(frameworks_text, peers_text):
    """(framework, variant) pairs to run, in PEERS order, from --frameworks and --peers."""
    frameworks = [f.strip() for f in frameworks_text.split(",")]
    for f in frameworks:
        if f not in FRAMEWORKS:
            raise SystemExit(f"--frameworks: unknown framework {f!r}; use any of {', '.join(FRAMEWORKS)}")
    names = PEER_NAMES if peers_text is None else [p.strip() for p in peers_text.split(",")]
    for name in names:
        if name not in PEER_NAMES:
            raise SystemExit(f"--peers: unknown peer {name!r}; use any of {', '.join(PEER_NAMES)}")
    chosen = [p for p, name in zip(PEERS, PEER_NAMES) if name in names and p[0] in frameworks]
    if not chosen:
        raise SystemExit("--peers: none of the peers named belongs to --frameworks")
    return chosen


def main(argv=None):
    usage = sys.modules[__package__].__doc__
    parser = argparse.ArgumentParser(description=usage.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=usage.split("\n\n", 1)[1])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seq-len", default="4096", help="comma-separated sequence lengths (default 4096)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", default="64", help="comma-separated head dimensions (default 64)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--causal", choices=["off", "on", "both"], default="off")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        help=f"frameworks to run, comma-separated (default all): {', '.join(FRAMEWORKS)}")
    parser.add_argument("--peers", help=f"peers to run, comma-separated (default all): {', '.join(PEER_NAMES)}")
    parser.add_argument("--jax-block-q", default="128,256,512",
                        help="query blocks jax-flash-tiled is tried at (default 128,256,512)")
    parser.add_argument("--jax-block-kv", default="128,256,512",
                        help="key blocks jax-flash-tiled and jax-flash-wholequery are tried at (default 128,256,512)")
    parser.add_argument("--jax-outer", choices=["map", "unroll", "vmap"], default="map",
                        help="how jax-flash-tiled loops over query blocks (default map: lax.map)")
    parser.add_argument("--tune-repetitions", type=int, default=2,
                        help="timed calls per block pair when choosing the best (default 2)")
    parser.add_argument("--attnbench",
                        help="attnbench binary: also measure its naive, flash2 and fused in the same rounds")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement (default 900)")
    parser.add_argument("--output", help="CSV file (default stdout)")
    parser.add_argument("--schema", choices=["peers", "attnbench"], default="peers",
                        help="peers: this script's columns (default); attnbench: attnbench's own CSV schema, peer "
                             "rows of kind 'peer' beside attnbench's rows, for attnbench merge, compare and the plots")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    lengths = positive_list(args.seq_len, "--seq-len")
    dims = positive_list(args.head_dim, "--head-dim")
    thread_counts = positive_list(args.threads, "--threads")
    blocks_q = positive_list(args.jax_block_q, "--jax-block-q")
    blocks_kv = positive_list(args.jax_block_kv, "--jax-block-kv")
    peers = selected_peers(args.frameworks, args.peers)
    for value, flag in ((args.batch, "--batch"), (args.heads, "--heads"), (args.rounds, "--rounds"),
                        (args.repetitions, "--repetitions"), (args.tune_repetitions, "--tune-repetitions")):
        if value < 1:
            raise SystemExit(f"{flag}: must be >= 1, got {value}")
    if args.attnbench and not os.access(args.attnbench, os.X_OK):
        raise SystemExit(f"--attnbench: {args.attnbench!r} is not an executable; build it with "
                         "`swift build -c release --product attnbench` and pass .build/release/attnbench")
    available = len(os.sched_getaffinity(0))
    if max(thread_counts) > available:
        raise SystemExit(f"--threads: {max(thread_counts)} exceeds the {available} cores this process may use")
    causal_values = {"off": [False], "on": [True], "both": [False, True]}[args.causal]

    out = open(args.output, "w", newline="") if args.output else sys.stdout
    if args.schema == "peers":
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
    else:  # attnbench's columns; a column an older attnbench did not write is left empty
        writer = csv.DictWriter(out, fieldnames=schema_rows.schema()[1], extrasaction="ignore")
    writer.writeheader()
    out.flush()
    written = []

    def write(row, attnbench_row=None):
        """Writes a row in the chosen schema; `attnbench_row` is attnbench's own row behind `row`."""
        if args.schema == "peers":
            writer.writerow(row)
        else:
            writer.writerow(attnbench_row or schema_rows.attnbench_row(row))
        out.flush()
        written.append(row)

    model, date = cpu_model(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for round_index in range(args.rounds):
        for n in lengths:
            for d in dims:
                for causal in causal_values:
                    for threads in thread_counts:
                        shape = {"batch": args.batch, "heads": args.heads, "seq_len": n, "head_dim": d}
                        base = dict(shape, round=round_index, causal=str(causal).lower(), threads=threads,
                                    cpu_model=model, date_utc=date)
                        flops = useful_flops(args.batch, args.heads, n, d, causal)
                        limits = ceilings([])
                        if args.attnbench:  # first, so that its ceilings go into the peers' rows too
                            try:
                                found = attnbench_rows(args.attnbench, shape, threads, causal, args.repetitions)
                            except Exception as error:
                                print(f"attnbench N={n} d={d} threads={threads}: {error}", file=sys.stderr)
                                found = []
                            limits = ceilings(found)
                            for a in found:
                                write(with_efficiencies(attnbench_output_row(a, base), limits), attnbench_row=a)
                        for framework, variant in peers:
                            label = f"{framework}-{variant} N={n} d={d} causal={causal} threads={threads}"
                            try:
                                candidates = block_candidates(framework, variant, n, blocks_q, blocks_kv,
                                                              args.batch, args.heads, threads)
                                spec = dict(shape, framework=framework, variant=variant, causal=causal,
                                            threads=threads, candidates=candidates, jax_outer=args.jax_outer,
                                            tune_repetitions=args.tune_repetitions, warmup=2,
                                            repetitions=args.repetitions, min_seconds=args.min_time)
                                r = run_child(spec, args.timeout)
                            except Exception as error:  # one failed measurement is a message, not the end of the run
                                print(f"{label}: {error}", file=sys.stderr)
                                package = missing_package(str(error))
                                if package:  # a runtime not installed still has its rows, saying so
                                    write(with_efficiencies(dict(base, framework=framework, variant=variant,
                                                                 status=f"missing: {package}"), limits))
                                continue
                            row = dict(base, framework=framework, variant=variant,
                                       framework_version=r["framework_version"],
                                       framework_threads=r["framework_threads"],
                                       devices=r["devices"] if framework == "jax" else "",
                                       block_q=r["block_q"] or "", block_kv=r["block_kv"] or "",
                                       block_search=r["block_search"], repetitions=r["repetitions"],
                                       wall_time_median_s=f"{r['median']:.6g}", wall_time_min_s=f"{r['min']:.6g}",
                                       cpu_per_wall=f"{r['cpu_per_wall']:.3g}",
                                       gflops=f"{flops / r['median'] / 1e9:.4g}",
                                       max_abs_error=f"{r['max_abs_error']:.3g}",
                                       extra_peak_memory_bytes=r["extra_peak_memory_bytes"]
                                       if r["extra_peak_memory_bytes"] is not None else "", path=r["path"],
                                       status="ok" if r["max_abs_error"] <= error_tolerance(r["precision"])
                                       else "incorrect")
                            write(with_efficiencies(row, limits))
                            blocks = (f", blocks {row['block_q']}x{row['block_kv']}{split_suffix(row['devices'])}"
                                      if row["block_kv"] else "")
                            memory = mebibytes([row["extra_peak_memory_bytes"]])
                            print(f"{label}: {row['gflops']} GFLOP/s{blocks}, CPU/wall {row['cpu_per_wall']}, "
                                  f"error {row['max_abs_error']}{f', first call +{memory} MiB' if memory else ''}",
                                  file=sys.stderr)
    if args.output:
        out.close()
    print(summary_table(written), file=sys.stderr)
    return 0
