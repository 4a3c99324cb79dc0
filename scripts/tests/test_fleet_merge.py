"""Checks of scripts/fleet-merge.sh: with a stand-in attnbench, and end to end with the real binary
(two local shards merged, summarized and plotted)."""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fleet_support import COLUMNS, MACHINE_A, MERGE, SCHEMA, row, two_machine_rows, write_csv
from workflow_support import calls, stub


# --- fleet-merge.sh with a stand-in attnbench ------------------------------------------------------------

# `attnbench merge A.csv B.csv ... --output ALL.csv`: one header, same header everywhere, else exit 2.
MERGE_STAND_IN = """
assert args[0] == 'merge', args
output = args[args.index('--output') + 1]
header, rows = None, []
for path in [a for a in args[1:] if a not in ('--output', output)]:
    with open(path, newline='') as handle:
        lines = list(csv.reader(handle))
    if header is None:
        header = lines[0]
    elif lines[0] != header:
        print(f'error: {path} has another header', file=sys.stderr)
        sys.exit(2)
    rows += lines[1:]
with open(output, 'w', newline='') as handle:
    csv.writer(handle, lineterminator='\\n').writerows([header, *rows])
"""


def run_merge(*args, env=None, cwd=None):
    return subprocess.run(["bash", str(MERGE), *map(str, args)], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture
def stand_in(tmp_path):
    log = tmp_path / "calls.jsonl"
    binary = stub(tmp_path / "bin" / "attnbench", "attnbench", MERGE_STAND_IN)
    return {"ATTNBENCH": str(binary), "STUB_LOG": str(log), "PYTHON": sys.executable}


def test_fleet_merge_merges_every_shard_and_writes_the_summary(tmp_path, stand_in):
    rows = two_machine_rows()
    shards = tmp_path / "shards"
    # As downloaded: possibly in subfolders; other CSVs and an earlier merge are not shards.
    write_csv(shards / "shard-ubuntu-latest-2.csv", rows[:3])
    write_csv(shards / "shard-ubuntu-latest-1.csv", rows[3:6])
    write_csv(shards / "arm" / "shard-ubuntu-24.04-arm-1.csv", rows[6:])
    write_csv(shards / "notes.csv", [row(MACHINE_A, hostname="not-a-shard")])
    out = shards / "merged"
    write_csv(out / "shard-stale-1.csv", [row(MACHINE_A, hostname="stale")])
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier steps\n")
    result = run_merge("--no-plots", shards, out, env={**stand_in, "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.returncode == 0, result.stderr
    [call] = calls(stand_in["STUB_LOG"])
    assert call["args"] == ["merge", str(shards / "arm/shard-ubuntu-24.04-arm-1.csv"),
                            str(shards / "shard-ubuntu-latest-1.csv"), str(shards / "shard-ubuntu-latest-2.csv"),
                            "--output", str(out / "all.csv")]
    with (out / "all.csv").open(newline="") as handle:
        merged = list(csv.DictReader(handle))
    assert len(merged) == len(rows)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## attnbench fleet sweep: 2 machines, 8 rows")
    assert step_summary.read_text() == "earlier steps\n" + summary
    assert not (out / "plots").exists()


def test_fleet_merge_without_shards_says_so(tmp_path, stand_in):
    (tmp_path / "shards").mkdir()
    result = run_merge(tmp_path / "shards", tmp_path / "out", env=stand_in)
    assert result.returncode == 2 and calls(stand_in["STUB_LOG"]) == []
    assert result.stderr == f"fleet-merge.sh: no shard-*.csv under {tmp_path / 'shards'} (did every sweep job fail?)\n"


def test_fleet_merge_stops_when_merge_rejects_the_shards(tmp_path, stand_in):
    shards = tmp_path / "shards"
    write_csv(shards / "shard-a-1.csv", [row(MACHINE_A)])
    write_csv(shards / "shard-a-2.csv", [row(MACHINE_A)], COLUMNS[:-1])
    result = run_merge("--no-plots", shards, tmp_path / "out", env=stand_in)
    assert result.returncode == 2 and "has another header" in result.stderr
    assert not (tmp_path / "out" / "summary.md").exists()


@pytest.mark.parametrize("args", [[], ["only-one"], ["--plots", "a", "b"], ["missing-dir", "out"]])
def test_fleet_merge_usage_errors(tmp_path, stand_in, args):
    result = run_merge(*args, env=stand_in, cwd=tmp_path)
    assert result.returncode == 2 and "usage: scripts/fleet-merge.sh" in result.stderr
    assert calls(stand_in["STUB_LOG"]) == []


# --- end to end with the real binary ---------------------------------------------------------------------


def sharding_binary():
    """The attnbench of ATTNBENCH_BINARY, or a skip saying why it cannot run this test."""
    path = os.environ.get("ATTNBENCH_BINARY")
    if not path:
        pytest.skip("ATTNBENCH_BINARY is not set: this test runs the real release binary (scripts/test sets it)")
    if not Path(path).is_file():
        pytest.skip(f"ATTNBENCH_BINARY={path} does not exist")
    root_help = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60).stdout
    if not re.search(r"^\s+merge\s", root_help, re.M):
        pytest.skip(f"{path} has no `merge` subcommand yet")
    sweep_help = subprocess.run([path, "sweep", "--help"], capture_output=True, text=True, timeout=60).stdout
    if "--shard" not in sweep_help:
        pytest.skip(f"{path} has no `sweep --shard` yet")
    return path


CONFIGURATION = list(SCHEMA["configuration_key"])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_two_local_shards_merge_summarize_and_plot(tmp_path):
    binary = sharding_binary()
    grid = ["sweep", "--preset", "quick", "--variants", "flash2", "--seq-len", "256"]
    shards = tmp_path / "shards"
    shards.mkdir()
    for index in (1, 2):
        shard = ["--shard", f"{index}/2", "--output", str(shards / f"shard-local-{index}.csv")]
        result = subprocess.run([binary, *grid, *shard], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    whole = subprocess.run([binary, *grid, "--output", str(tmp_path / "whole.csv")], capture_output=True, text=True,
                           timeout=600)
    assert whole.returncode == 0, whole.stderr

    key = lambda r: tuple(r[c] for c in CONFIGURATION)
    parts = [read_csv(shards / f"shard-local-{index}.csv") for index in (1, 2)]
    assert all(parts), "each shard of this grid has at least one configuration"
    assert not {key(r) for r in parts[0]} & {key(r) for r in parts[1]}, "shards overlap"
    assert sorted(key(r) for part in parts for r in part) == sorted(key(r) for r in read_csv(tmp_path / "whole.csv"))

    out = tmp_path / "out"
    result = subprocess.run(["bash", str(MERGE), str(shards), str(out)], capture_output=True, text=True, timeout=900,
                            env={**os.environ, "ATTNBENCH": binary, "PYTHON": sys.executable,
                                 "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")})
    assert result.returncode == 0, result.stderr
    lines = (out / "all.csv").read_text().splitlines()
    assert lines[0].split(",") == COLUMNS and sum(line.startswith("schema_version,") for line in lines) == 1
    merged = read_csv(out / "all.csv")
    assert sorted(map(key, merged)) == sorted(key(r) for part in parts for r in part)
    assert {r["schema_version"] for r in merged} == {str(SCHEMA["schema_version"])}
    summary = (out / "summary.md").read_text()
    assert f"### {merged[0]['cpu_model']}" in summary and "| flash2 |" in summary
    assert (tmp_path / "step-summary.md").read_text() == summary
    assert list((out / "plots").glob("*.png")), "no figure drawn"

    # Unusable input: merge exits 2 with one line, and so does the script.
    (shards / "shard-local-3.csv").write_text("not,a,sweep\n1,2,3\n")
    result = subprocess.run(["bash", str(MERGE), "--no-plots", str(shards), str(tmp_path / "again")],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "ATTNBENCH": binary})
    assert result.returncode == 2, result.stderr
    from_merge = [line for line in result.stderr.splitlines() if not line.startswith(("fleet-merge.sh: ", "  "))]
    assert len(from_merge) == 1 and "error" in from_merge[0].lower(), result.stderr
