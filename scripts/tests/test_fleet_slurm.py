"""Checks of the Slurm scripts in scripts/slurm/: their #SBATCH directives, and each script run in
bash as sbatch runs it, with stand-ins for attnbench and fleet-merge.sh."""

import os
import re
import shutil
import subprocess

import pytest

from fleet_support import MERGE_SBATCH, SWEEP_SBATCH
from workflow_support import calls, stub


# --- Slurm -----------------------------------------------------------------------------------------------


def sbatch_directives(path):
    """{option: value} of the #SBATCH lines, checking they all come before the first command
    (sbatch stops reading directives there)."""
    directives, seen_command = {}, False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#SBATCH"):
            assert not seen_command, f"{path.name}:{number}: #SBATCH after the first command is ignored by sbatch"
            option, _, value = stripped[len("#SBATCH"):].strip().partition("=")
            directives[option] = value
        elif stripped and not stripped.startswith("#"):
            seen_command = True
    return directives


def array_indices(spec):
    """The task indices of an sbatch --array value: 1-8, 1-8%2, 1,3,5-7, 0-15:4."""
    spec = spec.split("%")[0]
    indices = []
    for part in spec.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part)
        assert match, f"cannot read --array={spec}"
        first, last, step_ = int(match[1]), int(match[2] or match[1]), int(match[3] or 1)
        indices += range(first, last + 1, step_)
    return indices


def minutes(limit):
    """Minutes of an sbatch --time value (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S)."""
    days, _, clock = limit.rpartition("-") if "-" in limit else ("0", "", limit)
    parts = [int(p) for p in clock.split(":")]
    if "-" in limit:
        hours, mins, secs = (parts + [0, 0])[:3]
    else:
        hours, mins, secs = {1: [0, parts[0], 0], 2: [0, *parts], 3: parts}[len(parts)]
    return int(days or 0) * 1440 + hours * 60 + mins + secs / 60


@pytest.mark.parametrize("path", [SWEEP_SBATCH, MERGE_SBATCH], ids=lambda p: p.name)
def test_sbatch_scripts_parse(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert path.read_text().startswith("#!/usr/bin/env bash\n")


def test_sweep_sbatch_directives():
    directives = sbatch_directives(SWEEP_SBATCH)
    indices = array_indices(directives["--array"])
    assert indices == list(range(1, len(indices) + 1)) and len(indices) > 1, "shards are array indices 1-N"
    assert int(directives["--cpus-per-task"]) >= 1
    assert "--exclusive" in directives
    assert 0 < minutes(directives["--time"])
    assert directives["--output"].startswith("results/") and "%a" in directives["--output"]


def test_merge_sbatch_directives():
    directives = sbatch_directives(MERGE_SBATCH)
    assert "--array" not in directives and 0 < minutes(directives["--time"]) <= 120


def test_time_and_array_readers():
    assert array_indices("1-4%2") == [1, 2, 3, 4] and array_indices("1,3,5-6") == [1, 3, 5, 6]
    assert array_indices("0-8:4") == [0, 4, 8]
    assert [minutes(t) for t in ("30", "04:00:00", "1-00", "2:30")] == [30, 240, 1440, 2.5]


def test_sweep_sbatch_says_how_to_submit_and_merge():
    header = SWEEP_SBATCH.read_text().split("#SBATCH", 1)[0]
    assert "mkdir -p results" in header
    assert "sbatch --parsable scripts/slurm/sweep.sbatch" in header
    assert "sbatch --dependency=afterany:$jid scripts/slurm/merge.sbatch" in header
    merge_header = MERGE_SBATCH.read_text().split("#SBATCH", 1)[0]
    assert "./scripts/fleet-merge.sh results results/merged" in merge_header


@pytest.fixture
def submit_dir(tmp_path):
    """A stand-in repository root to submit from, with stand-in attnbench and fleet-merge.sh."""
    root = tmp_path / "repo"
    stub(root / "scripts" / "fleet-merge.sh", "fleet-merge.sh")
    stub(root / "attnbench", "attnbench")
    return root


def run_sbatch(path, root, **env):
    environment = {"PATH": os.environ["PATH"], "SLURM_SUBMIT_DIR": str(root), "ATTNBENCH": str(root / "attnbench"),
                   "STUB_LOG": str(root / "calls.jsonl"), **env}
    # sbatch runs a copy of the script from its spool folder, not from the repository.
    copy = shutil.copy(path, root.parent / f"spooled-{path.name}")
    result = subprocess.run(["bash", copy], capture_output=True, text=True, timeout=60, cwd="/", env=environment)
    return result, calls(root / "calls.jsonl")


ARRAY_1_TO_8 = {"SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8", "SLURM_ARRAY_TASK_COUNT": "8"}


def test_sweep_sbatch_task_runs_its_shard_resumable(submit_dir):
    result, [call] = run_sbatch(SWEEP_SBATCH, submit_dir, SLURM_ARRAY_TASK_ID="3", **ARRAY_1_TO_8,
                                PRESET="compute", SWEEP_ARGS="--threads 1,2")
    assert result.returncode == 0, result.stderr
    assert call["cwd"] == str(submit_dir)
    assert call["args"] == ["sweep", "--preset", "compute", "--threads", "1,2",
                            "--shard", "3/8", "--resume", "--output", "results/shard-3.csv"]
    assert (submit_dir / "results").is_dir()


def test_sweep_sbatch_resubmitting_some_shards_needs_their_count(submit_dir):
    some = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "5",
            "SLURM_ARRAY_TASK_COUNT": "2"}
    result, recorded = run_sbatch(SWEEP_SBATCH, submit_dir, **some)
    assert result.returncode == 2 and recorded == [] and "set SHARDS=N" in result.stderr
    result, [call] = run_sbatch(SWEEP_SBATCH, submit_dir, **some, SHARDS="8")
    assert result.returncode == 0
    assert call["args"][-5:] == ["--shard", "5/8", "--resume", "--output", "results/shard-5.csv"]


@pytest.mark.parametrize("env, message", [
    ({}, "not an array task"),
    ({"SLURM_ARRAY_TASK_ID": "9", **ARRAY_1_TO_8, "SHARDS": "8"}, "is not a shard of 1-8"),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7",
      "SLURM_ARRAY_TASK_COUNT": "8"}, "is not 1-N"),
])
def test_sweep_sbatch_refuses(submit_dir, env, message):
    result, recorded = run_sbatch(SWEEP_SBATCH, submit_dir, **env)
    assert result.returncode == 2 and recorded == [] and message in result.stderr


def test_sbatch_scripts_refuse_a_submit_dir_that_is_not_the_repository(tmp_path):
    for path in (SWEEP_SBATCH, MERGE_SBATCH):
        result = subprocess.run(["bash", str(path)], capture_output=True, text=True, cwd=tmp_path,
                                env={"PATH": os.environ["PATH"], "SLURM_SUBMIT_DIR": str(tmp_path),
                                     "SLURM_ARRAY_TASK_ID": "1", **ARRAY_1_TO_8})
        assert result.returncode == 2 and "submit from its root" in result.stderr


@pytest.mark.parametrize("env, expected", [
    ({}, ["results", "results/merged"]),
    ({"NO_PLOTS": "1", "RESULTS_DIR": "out"}, ["--no-plots", "out", "out/merged"]),
])
def test_merge_sbatch_runs_fleet_merge(submit_dir, env, expected):
    result, [call] = run_sbatch(MERGE_SBATCH, submit_dir, **env)
    assert result.returncode == 0, result.stderr
    assert call["tool"] == "fleet-merge.sh" and call["cwd"] == str(submit_dir) and call["args"] == expected
