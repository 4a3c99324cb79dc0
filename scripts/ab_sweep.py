#!/usr/bin/env python3
"""Measure two attnbench builds side by side, interleaved one configuration at a time.

A sweep of build A followed by a sweep of build B compares two different stretches of time:
on a shared machine the second can be 10-30% slower for reasons that have nothing to do with
the code. This script runs each configuration of the grid on A, then on B (B first on every
other configuration), appending to one CSV per build with `--resume`, so both CSVs cover the
same minutes. Compare them with `attnbench compare A.csv B.csv`.

    python3 scripts/ab_sweep.py --a OLD/attnbench --b NEW/attnbench --out-a before.csv --out-b after.csv \\
        --variants naive,chunked,flash1,flash2,decode --seq-len 512,1k,2k --query-len seq,1 --causal off,on \\
        -- --warmup 1 --repetitions 9 --min-time 0.1

The grid flags are expanded here (every combination); the arguments after `--` go to every
sweep unchanged. decode runs only at decode query lengths (at most decode_max_query_length in
schema/constants.json), as in attnbench's own grid.

With `--rounds N` each configuration runs N times on each build, one worker process at a time,
alternating A, B, A, B, … (`--processes 1` is added), into one CSV per round; at the end
`attnbench merge --pool` (with build B) pools each build's rounds into --out-a and --out-b, so
every row holds N process medians taken in the same seconds as the other build's. Use it where
a slow spell of a few seconds would otherwise fall on one build's processes only.
"""
import argparse
import itertools
import subprocess
import sys

from attnplot.schema import shared_constants

# Query lengths up to this are decode shapes (attnbench's cutoff, from schema/constants.json).
DECODE_MAX_QUERY_LENGTH = shared_constants()["decode_max_query_length"]


def split(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def grid(variants, seq_len, query_len="seq", causal="off"):
    """Every (causal, seq_len, query_len, variant) combination of the comma lists, in the order the
    sweeps run; decode only at query lengths up to DECODE_MAX_QUERY_LENGTH, as in attnbench's own grid."""
    combos = itertools.product(split(causal), split(seq_len), split(query_len), split(variants))
    return [g for g in combos if g[3] != "decode" or (g[2] != "seq" and int(g[2]) <= DECODE_MAX_QUERY_LENGTH)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="attnbench binary A (e.g. the base build)")
    parser.add_argument("--b", required=True, help="attnbench binary B (e.g. the change)")
    parser.add_argument("--out-a", required=True)
    parser.add_argument("--out-b", required=True)
    parser.add_argument("--variants", required=True)
    parser.add_argument("--seq-len", required=True)
    parser.add_argument("--query-len", default="seq")
    parser.add_argument("--causal", default="off", help="off, on or off,on")
    parser.add_argument("--rounds", type=int, default=1,
                        help="worker processes per configuration and build, interleaved")
    parser.add_argument("rest", nargs="*", help="arguments after -- go to every sweep")
    args = parser.parse_args(argv)
    configurations = grid(args.variants, args.seq_len, args.query_len, args.causal)
    if args.rounds < 1:
        sys.exit(f"ab_sweep.py: --rounds: invalid value '{args.rounds}'; expected 1 or more")
    rest = args.rest + (["--processes", "1"] if args.rounds > 1 else [])
    def output(out, round_index):
        return out if args.rounds == 1 else f"{out}.round{round_index + 1}.csv"
    for index, (causal, seq, query, variant) in enumerate(configurations):
        flags = ["sweep", "--variants", variant, "--seq-len", seq, "--query-len", query, "--causal", causal] + rest
        for round_index in range(args.rounds):
            order = [(args.a, args.out_a), (args.b, args.out_b)]
            if (index + round_index) % 2:
                order.reverse()
            for binary, out in order:
                done = subprocess.run([binary] + flags + ["--output", output(out, round_index), "--resume"],
                                      stderr=subprocess.DEVNULL)
                if done.returncode not in (0, 3):
                    sys.exit(f"ab_sweep.py: {binary} {' '.join(flags)} exited {done.returncode}")
        print(f"[{index + 1}/{len(configurations)}] {variant} seq {seq} query {query} causal {causal}", file=sys.stderr)
    if args.rounds > 1:
        for out in (args.out_a, args.out_b):
            rounds = [output(out, r) for r in range(args.rounds)]
            subprocess.run([args.b, "merge", "--pool", *rounds, "--output", out], check=True)


if __name__ == "__main__":
    main()
