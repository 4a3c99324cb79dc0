"""The command line: options, the shapes they make, the rounds over shapes, thread counts and peers,
and the summary table."""

import argparse
import csv
import json
import os
import subprocess
import sys
import time

from . import schema_rows
from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .child import *  # noqa: F401,F403
from .attnbench_driver import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .rows import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403
from .ggml_flash_attn import ggml_support


def positive_list(text, flag):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"{flag}: expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise SystemExit(f"{flag}: values must be >= 1, got {text!r}")
    return values


def selected_peers(frameworks_text, peers_text, precisions_text=None):
    """(framework, variant) pairs to run, in PEERS order, from --frameworks, --peers and --precisions."""
    frameworks = [f.strip() for f in frameworks_text.split(",")]
    for f in frameworks:
        if f not in FRAMEWORKS:
            raise SystemExit(f"--frameworks: unknown framework {f!r}; use any of {', '.join(FRAMEWORKS)}")
    names = PEER_NAMES if peers_text is None else [p.strip() for p in peers_text.split(",")]
    for name in names:
        if name not in PEER_NAMES:
            raise SystemExit(f"--peers: unknown peer {name!r}; use any of {', '.join(PEER_NAMES)}")
    precisions = PRECISIONS if precisions_text is None else [p.strip() for p in precisions_text.split(",")]
    for precision in precisions:
        if precision not in PRECISIONS:
            raise SystemExit(f"--precisions: unknown type {precision!r}; use any of {', '.join(PRECISIONS)}")
    chosen = [p for p, name in zip(PEERS, PEER_NAMES)
              if name in names and p[0] in frameworks and peer_precision(name) in precisions]
    if not chosen:
        raise SystemExit("--peers: none of the peers named belongs to --frameworks and --precisions")
    return chosen


CAUSAL_VALUES = {"off": [False], "on": [True], "both": [False, True]}


def shape_grid(args, presets=None):
    """Every Shape the options ask for, in order: model (or the flags), key length, query length,
    head_dim, window, causal. An explicit flag overrides a model preset's value."""
    lengths = positive_list(args.seq_len, "--seq-len")
    queries = query_lengths(args.query_len, lengths)
    models = chosen_models(args.model, presets) if args.model else [("", {})]
    if args.batch < 1:
        raise SystemExit(f"--batch: must be >= 1, got {args.batch}")
    shapes = []
    for name, preset in models:
        heads = args.heads or preset.get("heads", 8)
        kv_heads = args.kv_heads or (preset.get("kv_heads", heads) if not args.heads else heads)
        dims = positive_list(args.head_dim, "--head-dim") if args.head_dim else [preset.get("head_dim", 64)]
        window_values = windows(args.window) if args.window else [preset.get("window")]
        causal_values = CAUSAL_VALUES[args.causal] if args.causal else [preset.get("causal", False)]
        for n in lengths:
            for nq in queries:
                for d in dims:
                    for window in window_values:
                        for causal in causal_values:
                            try:  # a window is causal (attnbench: setting one sets causal)
                                shapes.append(Shape(args.batch, heads, kv_heads, n if nq is None else nq, n, d,
                                                    causal or window is not None, window, name))
                            except ValueError as error:
                                raise SystemExit(str(error))
    return list(dict.fromkeys(shapes))


def measure(framework, variant, shape, threads, base, args):
    """One peer on one shape at one thread count: its row, whatever happened (a status says why a
    peer did not measure it), and a line on stderr."""
    label = (f"{framework}-{variant} {shape.model + ' ' if shape.model else ''}H{shape.heads}/{shape.kv_heads} "
             f"Nq={shape.seq_len_q} N={shape.seq_len} d={shape.head_dim} causal={shape.causal}"
             f"{f' window={shape.window}' if shape.window else ''} threads={threads}")
    try:
        if framework == "ggml":  # known without ggml: a row says so even where it is not installed
            ggml_support(variant, shape)
        candidates = block_candidates(framework, variant, shape.seq_len_q, args.blocks_q, args.blocks_kv, shape.batch,
                                      shape.heads, threads, shape.seq_len, shape.kv_heads)
        spec = dict(shape.spec(), framework=framework, variant=variant, threads=threads, candidates=candidates,
                    jax_outer=args.jax_outer, tune_repetitions=args.tune_repetitions, warmup=2,
                    repetitions=args.repetitions, min_seconds=args.min_time)
        r = run_child(spec, args.timeout)
    except Unsupported as reason:
        r = {"status": f"unsupported: {reason}"}
    except subprocess.TimeoutExpired:
        r = {"status": "timeout"}
    except Exception as error:  # one failed measurement is a row and a message, not the end of the run
        package = missing_package(str(error))
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        r = {"status": f"missing: {package}" if package else f"error: {first}"}
    if "times" not in r:
        print(f"{label}: {r['status']}", file=sys.stderr)
        return status_row(base, framework, variant, r["status"], r.get("framework_version", ""))
    row = peer_row(base, framework, variant, r, shape)
    blocks = f", blocks {row['block_q']}x{row['block_kv']}{split_suffix(row['devices'])}" if row["block_kv"] else ""
    memory = mebibytes([row["extra_peak_memory_bytes"]])
    print(f"{label}: {row['gflops']} GFLOP/s, {row['kv_read_gbps']} GB/s K/V{blocks}, CPU/wall "
          f"{row['cpu_per_wall']}, error {row['max_abs_error']} ({row['status']})"
          f"{f', first call +{memory} MiB' if memory else ''}", file=sys.stderr)
    return row


def options():
    usage = sys.modules[__package__].__doc__
    parser = argparse.ArgumentParser(description=usage.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=usage.split("\n\n", 1)[1])
    add = parser.add_argument
    add("--child", help=argparse.SUPPRESS)
    add("--seq-len", default="4096", help="comma-separated key (and value) lengths (default 4096)")
    add("--query-len", default="seq",
        help="comma-separated query lengths: 'seq' (= the key length: prefill) or lengths <= it; 1 is one-token "
             "decode, bottom-right aligned (default seq)")
    add("--batch", type=int, default=1)
    add("--heads", type=int, help="query heads (default 8, or the model's)")
    add("--kv-heads", type=int, help="K/V heads, dividing --heads (default: as many as --heads, or the model's)")
    add("--head-dim", help="comma-separated head dimensions (default 64, or the model's)")
    add("--window", help="comma-separated sliding windows in keys, or 'none' (default none, or the model's); "
                         "a window is causal")
    add("--causal", choices=["off", "on", "both"], help="default off, or the model's")
    add("--model", help="attnbench model presets, comma-separated (attnbench models): heads, K/V heads, head_dim, "
                        "window and causal, read from --attnbench, $ATTNBENCH_BINARY or scripts/attnbench")
    add("--threads", help="comma-separated thread counts (default 1..the cores this process may use)")
    add("--frameworks", default=",".join(FRAMEWORKS),
        help=f"frameworks to run, comma-separated (default all): {', '.join(FRAMEWORKS)}")
    add("--peers", help=f"peers to run, comma-separated (default all): {', '.join(PEER_NAMES)}")
    add("--precisions", help=f"only the peers computing in these types, comma-separated: {', '.join(PRECISIONS)} "
                             "(q8_0: ggml's K/V; default all)")
    add("--jax-block-q", default="128,256,512", help="query blocks jax-flash-tiled is tried at (default 128,256,512)")
    add("--jax-block-kv", default="128,256,512",
        help="key blocks jax-flash-tiled and jax-flash-wholequery are tried at (default 128,256,512)")
    add("--jax-outer", choices=["map", "unroll", "vmap"], default="map",
        help="how jax-flash-tiled loops over query blocks (default map: lax.map)")
    add("--tune-repetitions", type=int, default=2, help="timed calls per block pair when choosing the best (default 2)")
    add("--attnbench", help="attnbench binary: also measure its naive, flash2, fused (and decode at decode shapes) "
                            "in the same rounds")
    add("--attnbench-dtype", default=ATTNBENCH_DTYPES,
        help=f"attnbench's --dtype beside the peers (default {ATTNBENCH_DTYPES}: the peers' types)")
    add("--attnbench-kv-dtype", default=ATTNBENCH_KV_DTYPES,
        help=f"attnbench's --kv-dtype beside the peers (default {ATTNBENCH_KV_DTYPES}: ggml's K/V caches)")
    add("--rounds", type=int, default=2)
    add("--repetitions", type=int, default=7)
    add("--min-time", type=float, default=0.0)
    add("--timeout", type=float, default=900.0, help="seconds per measurement (default 900)")
    add("--output", help="CSV file (default stdout)")
    add("--schema", choices=["peers", "attnbench"], default="peers",
        help="peers: this script's columns (default); attnbench: attnbench's own CSV schema, peer rows of kind "
             "'peer' beside attnbench's rows, for attnbench merge, compare and the plots")
    return parser


def main(argv=None):
    args = options().parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    available = len(os.sched_getaffinity(0))
    thread_counts = positive_list(args.threads, "--threads") if args.threads else list(range(1, available + 1))
    args.blocks_q = positive_list(args.jax_block_q, "--jax-block-q")
    args.blocks_kv = positive_list(args.jax_block_kv, "--jax-block-kv")
    peers = selected_peers(args.frameworks, args.peers, args.precisions)
    for value, flag in ((args.heads, "--heads"), (args.kv_heads, "--kv-heads"), (args.rounds, "--rounds"),
                        (args.repetitions, "--repetitions"), (args.tune_repetitions, "--tune-repetitions")):
        if value is not None and value < 1:
            raise SystemExit(f"{flag}: must be >= 1, got {value}")
    if args.attnbench and not os.access(args.attnbench, os.X_OK):
        raise SystemExit(f"--attnbench: {args.attnbench!r} is not an executable; build it with "
                         "`swift build -c release --product attnbench` and pass .build/release/attnbench")
    if max(thread_counts) > available:
        raise SystemExit(f"--threads: {max(thread_counts)} exceeds the {available} cores this process may use")
    shapes = shape_grid(args, read_models(attnbench_binary(args.attnbench)) if args.model else None)

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
            writer.writerow(attnbench_row or schema_rows.attnbench_row(row, seed=INPUT_SEED, warmup=2,
                                                                       min_repetitions=args.repetitions,
                                                                       min_time=args.min_time))
        out.flush()
        written.append(row)

    model, date = cpu_model(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for round_index in range(args.rounds):
        for shape in shapes:
            for threads in thread_counts:
                base = base_row(round_index, shape, threads, model, date)
                limits = ceilings([])
                if args.attnbench:  # first, so that its ceilings go into the peers' rows too
                    try:
                        found = attnbench_rows(args.attnbench, shape, threads, args.repetitions,
                                               args.attnbench_dtype, args.attnbench_kv_dtype)
                    except Exception as error:
                        print(f"attnbench N={shape.seq_len} d={shape.head_dim} threads={threads}: {error}",
                              file=sys.stderr)
                        found = []
                    limits = ceilings(found)
                    for a in found:
                        write(with_efficiencies(attnbench_output_row(a, base), limits), attnbench_row=a)
                for framework, variant in peers:
                    write(with_efficiencies(measure(framework, variant, shape, threads, base, args), limits))
    if args.output:
        out.close()
    print(summary_table(written), file=sys.stderr)
    return 0
