#!/usr/bin/env python3
"""Markdown summary of a merged attnbench CSV, one section per machine.

    python3 scripts/fleet_summary.py results/all.csv > summary.md

A machine is what schema/columns.json's `machine_key` names (cpu_model, cpu_cores, openblas_core):
shards that ran on different hosts of the same kind are one machine, and one runner label whose
jobs landed on two CPU models is two. Each machine gets a table of variant x shape with the median
wall time, GFLOP/s and peak efficiency (gflops / fma_peak_gflops); rows measured more than once
(the same configuration key on the same machine) are reduced to the median of their values.
Maximum-length rows get a table of their own. Unusable input exits 2 with a one-line message.
"""

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schema" / "columns.json"

TIME_MEDIAN = "wall_time_median_s"
GFLOPS = "gflops"
PEAK_EFFICIENCY = "peak_efficiency"
REQUIRED = ["schema_version", "kind", "variant", "status", TIME_MEDIAN, GFLOPS, PEAK_EFFICIENCY]


class SummaryError(Exception):
    """Input the summary cannot use; the message says what is wrong."""


def load_schema(path):
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
        return schema["schema_version"], schema["machine_key"], schema["configuration_key"], schema.get("variants", [])
    except (OSError, ValueError, KeyError) as error:
        raise SummaryError(f"cannot read the column schema {path}: {error}")


def read_rows(path, schema_version, machine_key, configuration_key):
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SummaryError(f"cannot read {path}: {error}")
    if not header:
        raise SummaryError(f"{path} is empty: expected an attnbench CSV with a header line")
    missing = [c for c in [*REQUIRED, *machine_key, *configuration_key] if c not in header]
    if missing:
        raise SummaryError(f"{path} lacks column(s) {', '.join(dict.fromkeys(missing))}: "
                           f"expected an attnbench CSV of schema version {schema_version}")
    versions = sorted({row["schema_version"] for row in rows})
    if any(version != str(schema_version) for version in versions):
        raise SummaryError(f"{path} has rows of schema version {', '.join(versions)}; this summary reads "
                           f"version {schema_version} (sweep again with the current attnbench)")
    return rows


def number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value else None  # NaN counts as missing


def median_of(rows, column):
    values = [v for v in (number(row.get(column)) for row in rows) if v is not None]
    return statistics.median(values) if values else None


def format_seconds(value):
    if value is None:
        return "—"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def format_gflops(value):
    return "—" if value is None else f"{value:.1f}"


def format_fraction(value):
    return "—" if value is None else f"{100 * value:.1f} %"


def format_bytes(text):
    value = number(text)
    if value is None:
        return text
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size:
            return f"{value / size:g} {unit}"
    return f"{value:g} B"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def shape_label(row):
    """A short name for a row's configuration, other than its variant."""
    get = lambda column: (row.get(column) or "").strip()
    parts = []
    if get("model"):
        parts.append(get("model"))
    heads = f"H{get('heads')}"
    if get("kv_heads") and get("kv_heads") != get("heads"):
        heads += f"/{get('kv_heads')}kv"
    parts += [f"B{get('batch')}", heads]
    if get("seq_len_q") or get("seq_len_kv"):
        parts.append(f"Sq{get('seq_len_q')} Skv{get('seq_len_kv')}")
    if get("key_lengths"):
        parts.append(f"keys {get('key_lengths')}")
    parts.append(f"d{get('head_dim')}")
    if get("causal") == "true":
        parts.append("causal")
    if get("window"):
        parts.append(f"window {get('window')}")
    if get("threads"):
        parts.append(f"t{get('threads')}")
    if get("block_q") and get("block_kv"):
        parts.append(f"blocks {get('block_q')}×{get('block_kv')}")
    if get("blas_core_requested") not in ("", "env"):
        parts.append(f"core {get('blas_core_requested')}")
    if get("naive_strategy") and get("variant") == "naive":
        parts.append(get("naive_strategy"))
    if get("kind") == "maxlen" and get("memory_budget_bytes"):
        parts.append(f"budget {format_bytes(get('memory_budget_bytes'))}")
    return " ".join(parts)


def shape_order(row):
    """Sort key: shapes by their numbers, not their text."""
    key = []
    for column in ("batch", "heads", "kv_heads", "seq_len_q", "seq_len_kv", "head_dim", "threads"):
        value = number(row.get(column))
        key.append(value if value is not None else -1)
    return (key, shape_label(row))


def status_of(rows):
    statuses = [row["status"] for row in rows]
    return "ok" if "ok" in statuses else ", ".join(sorted(set(statuses)))


def machine_title(machine_key, key):
    values = dict(zip(machine_key, key))
    cpu = values.get("cpu_model") or "unknown CPU"
    parts = [cpu]
    if values.get("cpu_cores"):
        parts.append(f"{values['cpu_cores']} cores")
    if values.get("openblas_core"):
        parts.append(f"OpenBLAS {values['openblas_core']}")
    extra = [f"{column} {values[column]}" for column in machine_key
             if column not in ("cpu_model", "cpu_cores", "openblas_core") and values.get(column)]
    return " · ".join(parts + extra)


def summarize(rows, machine_key, configuration_key, variants, source_name):
    variant_rank = {name: index for index, name in enumerate(variants)}
    machines = {}
    for row in rows:
        machines.setdefault(tuple(row.get(c, "") for c in machine_key), []).append(row)

    lines = [f"## attnbench fleet sweep: {len(machines)} machine{'s' * (len(machines) != 1)}, "
             f"{len(rows)} row{'s' * (len(rows) != 1)}", ""]
    if not rows:
        lines += [f"{source_name} has no rows.", ""]
        return "\n".join(lines)
    lines += [f"From `{source_name}`. Times are the median of each configuration's repetitions; "
              "peak efficiency is GFLOP/s over the machine's FMA peak on the row's threads.", ""]

    for key in sorted(machines, key=lambda k: tuple(str(v) for v in k)):
        machine_rows = machines[key]
        lines += [f"### {cell(machine_title(machine_key, key))}", ""]
        hosts = sorted({row.get("hostname", "") for row in machine_rows} - {""})
        ok = sum(row["status"] == "ok" for row in machine_rows)
        facts = [f"{len(machine_rows)} rows ({ok} ok)"]
        if hosts:
            facts.append(f"host{'s' * (len(hosts) != 1)}: {', '.join(hosts)}")
        commits = sorted({row.get("git_commit", "") for row in machine_rows} - {""})
        if commits:
            facts.append(f"built from {', '.join(commits)}")
        lines += [cell("; ".join(facts)), ""]

        groups = {}
        for row in machine_rows:
            groups.setdefault(tuple(row.get(c, "") for c in configuration_key), []).append(row)
        ordered = sorted(groups.values(), key=lambda g: (shape_order(g[0]),
                                                         variant_rank.get(g[0]["variant"], len(variant_rank)),
                                                         g[0]["variant"]))
        timed = [g for g in ordered if g[0]["kind"] != "maxlen"]
        longest = [g for g in ordered if g[0]["kind"] == "maxlen"]
        repeated = any(len(g) > 1 for g in ordered)

        if timed:
            header = ["variant", "shape", "median time", "GFLOP/s", "peak efficiency", "status"]
            if repeated:
                header.append("rows")
            lines += ["| " + " | ".join(header) + " |",
                      "|" + "|".join(["---", "---", "---:", "---:", "---:", "---"]
                                     + (["---:"] if repeated else [])) + "|"]
            for group in timed:
                ok_rows = [row for row in group if row["status"] == "ok"] or group
                values = [group[0]["variant"], shape_label(group[0]),
                          format_seconds(median_of(ok_rows, TIME_MEDIAN)),
                          format_gflops(median_of(ok_rows, GFLOPS)),
                          format_fraction(median_of(ok_rows, PEAK_EFFICIENCY)),
                          status_of(group)]
                if repeated:
                    values.append(str(len(group)))
                lines.append("| " + " | ".join(cell(v) for v in values) + " |")
            lines.append("")

        if longest:
            lines += ["| variant | shape | max_seq_len | bound | status |", "|---|---|---:|---|---|"]
            for group in longest:
                lengths = [number(row.get("max_seq_len")) for row in group]
                lengths = [v for v in lengths if v is not None]
                bounds = sorted({row.get("max_seq_len_bound", "") for row in group} - {""})
                values = [group[0]["variant"], shape_label(group[0]),
                          f"{statistics.median(lengths):g}" if lengths else "—",
                          ", ".join(bounds) or "—", status_of(group)]
                lines.append("| " + " | ".join(cell(v) for v in values) + " |")
            lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", metavar="MERGED.csv", help="merged attnbench CSV (attnbench merge)")
    parser.add_argument("--schema", default=str(SCHEMA), help="column schema (default: schema/columns.json)")
    args = parser.parse_args(argv)
    try:
        schema_version, machine_key, configuration_key, variants = load_schema(args.schema)
        rows = read_rows(args.csv, schema_version, machine_key, configuration_key)
    except SummaryError as error:
        print(f"fleet_summary.py: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(summarize(rows, machine_key, configuration_key, variants, Path(args.csv).name) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
