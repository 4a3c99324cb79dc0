"""scripts/ab_sweep.py: the order in which it runs two builds, the rounds it pools, and the grid it
expands (checked against attnbench's own `ci` grid where the real binary is available)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/, for ab_sweep

import ab_sweep  # noqa: E402
from workflow_support import WORKFLOWS, calls, load, step, stub  # noqa: E402

# A stand-in attnbench: `sweep` appends one line to its --output, `merge` writes its --output.
FAKE_ATTNBENCH = """
out = Path(args[args.index('--output') + 1])
if args[0] == 'sweep':
    with out.open('a') as f:
        f.write(' '.join(args[1:9]) + '\\n')
elif args[0] == 'merge':
    out.write_text('merged\\n')
"""


def sweeps(log):
    return [(Path(c["tool"]).name, c["args"]) for c in calls(log) if c["args"][0] == "sweep"]


def test_grid_follows_attnbench_decode_rule():
    configurations = ab_sweep.grid("flash2,decode", "8,1k", "seq,1,32", "off,on")
    assert len(configurations) == 2 * 2 * (3 + 1)  # flash2 at every query length, decode at 1 only
    assert ("off", "8", "1", "decode") in configurations
    assert not [c for c in configurations if c[3] == "decode" and c[2] != "1"]
    assert configurations[0] == ("off", "8", "seq", "flash2")


def test_rounds_alternate_the_builds_and_are_pooled_per_build(tmp_path):
    log = tmp_path / "calls.jsonl"
    a = stub(tmp_path / "A", str(tmp_path / "A"), FAKE_ATTNBENCH)
    b = stub(tmp_path / "B", str(tmp_path / "B"), FAKE_ATTNBENCH)
    env = {**os.environ, "STUB_LOG": str(log)}
    script = Path(ab_sweep.__file__)
    result = subprocess.run(
        [sys.executable, str(script), "--a", str(a), "--b", str(b), "--out-a", "a.csv", "--out-b", "b.csv",
         "--rounds", "3", "--variants", "flash2,decode", "--seq-len", "8", "--query-len", "seq,1", "--",
         "--preset", "ci"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    runs = sweeps(log)
    # 3 configurations (flash2 seq, flash2 1, decode 1) × 3 rounds × 2 builds.
    assert len(runs) == 18
    for index in range(3):
        for round_index in range(3):
            first, second = runs[(index * 3 + round_index) * 2:(index * 3 + round_index) * 2 + 2]
            expected = ["A", "B"] if (index + round_index) % 2 == 0 else ["B", "A"]
            assert [first[0], second[0]] == expected, (index, round_index)
            for tool, args in (first, second):
                assert args[args.index("--output") + 1] == f"{tool.lower()}.csv.round{round_index + 1}.csv"
                assert "--resume" in args and args[args.index("--processes") + 1] == "1"
                assert args[args.index("--preset") + 1] == "ci"
    merges = [c["args"] for c in calls(log) if c["args"][0] == "merge"]
    assert merges == [["merge", "--pool", *[f"{out}.round{r}.csv" for r in (1, 2, 3)], "--output", out]
                      for out in ("a.csv", "b.csv")]
    assert all(Path(c["tool"]).name == "B" for c in calls(log) if c["args"][0] == "merge")


def test_a_failing_sweep_stops_the_script(tmp_path):
    log = tmp_path / "calls.jsonl"
    a = stub(tmp_path / "A", "A", "sys.exit(2)")
    b = stub(tmp_path / "B", "B", FAKE_ATTNBENCH)
    result = subprocess.run(
        [sys.executable, str(Path(ab_sweep.__file__)), "--a", str(a), "--b", str(b), "--out-a", "a.csv",
         "--out-b", "b.csv", "--variants", "flash2", "--seq-len", "8"],
        cwd=tmp_path, env={**os.environ, "STUB_LOG": str(log)}, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "exited 2" in result.stderr


def test_perf_workflow_grid_is_the_ci_presets():
    """perf.yml spells out the `ci` preset's grid for ab_sweep.py; it must be the preset's."""
    path = os.environ.get("ATTNBENCH_BINARY")
    if not path or not Path(path).is_file():
        pytest.skip("ATTNBENCH_BINARY is not set or missing: this test reads the real binary's ci grid")
    plan = subprocess.run([path, "sweep", "--preset", "ci", "--dry-run"], capture_output=True, text=True,
                          timeout=60)
    assert plan.returncode == 0, plan.stderr
    preset = set()
    for line in plan.stdout.splitlines()[1:]:
        match = re.search(r"\t(\w+) .*Sq=(\d+) Skv=(\d+) .*causal=(on|off)", line)
        if match:
            preset.add(match.groups())
    run = step(load(WORKFLOWS / "perf.yml")["jobs"]["perf"], "Sweep both builds, interleaved")["run"]
    flags = dict(re.findall(r"--(variants|seq-len|query-len|causal) (\S+)", run))
    expanded = set()
    for causal, seq, query, variant in ab_sweep.grid(flags["variants"], flags["seq-len"], flags["query-len"],
                                                     flags["causal"]):
        n = int(seq[:-1]) * 1024 if seq.endswith("k") else int(seq)
        expanded.add((variant, str(n if query == "seq" else int(query)), str(n), causal))
    assert preset and expanded == preset
