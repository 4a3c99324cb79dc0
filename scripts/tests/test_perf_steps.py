"""Checks of perf.yml's steps, run in bash with stand-ins for git, swift and attnbench that record
how they were called: the two builds, the interleaved sweep, compare, the verdict and the job
summary; then the workflow's own sweep and compare commands with the real binary."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from perf_support import PERF, job, new_workspace, perf_job, workspace  # noqa: F401 (fixtures)
from workflow_support import REPO, calls, load, run_step, step, stub




# --- perf.yml: its steps, run with stand-ins --------------------------------------------------------


def test_pull_request_is_built_in_the_workspace(job, workspace):
    ws, env, bin_dir = workspace
    stub(bin_dir / "swift", "swift")
    result, _ = run_step(step(job, "Build the pull request (release)"), ws, env=env, path_prepend=[bin_dir],
                         tmp=ws.parent)
    assert result.returncode == 0, result.stderr
    [build] = calls(env["STUB_LOG"])
    assert build == {"tool": "swift", "cwd": str(ws), "args": ["build", "-c", "release", "--product", "attnbench"]}


@pytest.mark.parametrize("base_sha", ["", "given"])
def test_base_commit_is_resolved_from_the_input_on_manual_runs(job, tmp_path, base_sha):
    repo = tmp_path / "repo"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    result, _ = run_step(step(job, "Resolve the base commit"), repo, tmp=tmp_path,
                         env={"BASE_SHA": base_sha, "BASE_INPUT": "trunk"})
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "github_env.txt").read_text()
    if base_sha:
        assert written == "" and f"baseline commit: {base_sha}" in result.stdout
    else:
        assert written == f"BASE_SHA={head}\n"


def test_base_is_built_in_a_separate_worktree(job, workspace):
    """The baseline never comes from the PR's files: git makes a worktree of BASE_SHA at ../base
    and the base's own binary is built there."""
    ws, env, bin_dir = workspace
    stub(bin_dir / "git", "git", "if args[:2] == ['worktree', 'add']:\n"
                                 "    Path(args[-2]).mkdir(parents=True)")
    stub(bin_dir / "swift", "swift")
    result, _ = run_step(step(job, "Build the base commit"), ws, path_prepend=[bin_dir], tmp=ws.parent,
                         env={**env, "BASE_SHA": "0123abc"})
    assert result.returncode == 0, result.stderr
    git, build = calls(env["STUB_LOG"])
    assert git == {"tool": "git", "cwd": str(ws), "args": ["worktree", "add", "--detach", "../base", "0123abc"]}
    assert build == {"tool": "swift", "cwd": str(ws.parent / "base"),
                     "args": ["build", "-c", "release", "--product", "attnbench"]}


def test_both_builds_are_swept_interleaved_into_baseline_and_current(job, workspace):
    """The base binary is A (baseline.csv), the pull request's B (current.csv), alternating worker
    process by worker process over five rounds, with the ci preset's other settings."""
    ws, env, bin_dir = workspace
    stub(bin_dir / "python3", "python3")
    sweep_step = step(job, "Sweep both builds, interleaved")
    assert sweep_step["timeout-minutes"] <= 60
    result, _ = run_step(sweep_step, ws, env=env, path_prepend=[bin_dir], tmp=ws.parent)
    assert result.returncode == 0, result.stderr
    [call] = calls(env["STUB_LOG"])
    args = call["args"]
    assert call["cwd"] == str(ws) and args[0] == "scripts/ab_sweep.py"
    options = dict(zip(args[1:args.index("--")][::2], args[1:args.index("--")][1::2]))
    assert options["--a"] == "../base/.build/release/attnbench" and options["--out-a"] == "baseline.csv"
    assert options["--b"] == "./.build/release/attnbench" and options["--out-b"] == "current.csv"
    assert options["--rounds"] == "5"
    assert args[args.index("--") + 1:] == ["--preset", "ci"]


@pytest.mark.parametrize("code", [0, 1, 2])
def test_compare_records_its_exit_code_without_failing_the_step(job, workspace, code):
    ws, env, _ = workspace
    stub(ws / ".build/release/attnbench", "attnbench", f"print('| configuration | verdict |')\nsys.exit({code})")
    result, outputs = run_step(step(job, "compare"), ws, env=env, tmp=ws.parent)
    assert result.returncode == 0, result.stderr
    assert outputs == {"exit_code": str(code)}
    assert calls(env["STUB_LOG"])[0]["args"] == ["compare", "baseline.csv", "current.csv", "--format", "markdown"]
    assert (ws / "comparison.md").read_text() == "| configuration | verdict |\n"


GATE = [  # (compare exit code, package-benchmark verdict, job passes)
    ("0", "within", True), ("0", "improvement", True), ("0", "", True),
    ("1", "within", False), ("2", "within", False), ("0", "regression", False), ("0", "failed", False),
    ("1", "regression", False),
]


@pytest.mark.parametrize("compare_exit, verdict, passes", GATE)
def test_verdict_step_fails_the_job_on_a_regression_or_unusable_input(job, workspace, compare_exit, verdict, passes):
    ws, env, _ = workspace
    gate = step(job, "Fail on regression or unusable input")
    # Runs even after a failed step, whenever compare produced an exit code.
    assert gate["if"] == "always() && steps.compare.outputs.exit_code != ''"
    context = {"steps": {"compare": {"outputs": {"exit_code": compare_exit}},
                         "benchmark_check": {"outputs": {"verdict": verdict}}}}
    result, _ = run_step(gate, ws, context=context, env=env, tmp=ws.parent)
    assert (result.returncode == 0) == passes, result.stdout + result.stderr
    if not passes:
        assert "::error::" in result.stdout


@pytest.mark.parametrize("files", [{}, {"comparison.md": "| configuration | verdict |\n"},
                                   {"comparison.md": "| table |\n", "benchmark-check.txt": "WITHIN\n"}])
def test_job_summary(job, workspace, files):
    ws, env, _ = workspace
    for name, text in files.items():
        (ws / name).write_text(text)
    summary_step = step(job, "Write the comparison to the job summary")
    assert summary_step["if"] == "always()"
    result, _ = run_step(summary_step, ws, env=env, tmp=ws.parent)
    assert result.returncode == 0, result.stderr
    summary = (ws.parent / "github_step_summary.txt").read_text()
    if "comparison.md" in files:
        assert summary.startswith(files["comparison.md"])
    else:
        assert "No comparison was produced" in summary
    assert ("### Package benchmarks" in summary) == ("benchmark-check.txt" in files)
    if "benchmark-check.txt" in files:
        assert "```\nWITHIN\n```" in summary


# --- perf.yml's own commands with the real binary ----------------------------------------------------

BINARY = Path(os.environ.get("ATTNBENCH_BINARY", str(REPO / ".build" / "release" / "attnbench")))


@pytest.mark.skipif(not BINARY.exists(), reason=f"no attnbench binary at {BINARY} (set ATTNBENCH_BINARY)")
def test_workflow_commands_run_locally(job, tmp_path):
    """The workflow's own interleaved sweep and compare, run here with the real binary as both
    builds (the ci grid narrowed to two small configurations so the test stays fast): three
    rounds pooled into baseline.csv and current.csv, then compare as markdown, exit status 0 or 1
    (never 2: the two sweeps must match), and a table."""
    run = step(job, "Sweep both builds, interleaved")["run"].replace("\\\n", " ")
    command = re.search(r"python3 (scripts/ab_sweep\.py .*)", run).group(1).split()
    compare = re.search(r"\./\.build/release/attnbench (compare baseline\.csv current\.csv --format markdown)",
                        step(job, "compare")["run"])
    assert compare and command[-2:] == ["--preset", "ci"]
    values = dict(zip(command[1:command.index("--")][::2], command[1:command.index("--")][1::2]))
    values.update({"--a": str(BINARY), "--b": str(BINARY), "--variants": "naive,flash2", "--seq-len": "64",
                   "--query-len": "seq", "--causal": "off"})
    narrow = ["--heads", "1", "--threads", "1", "--repetitions", "5", "--min-time", "0"]
    result = subprocess.run([sys.executable, str(REPO / command[0]), *[x for kv in values.items() for x in kv],
                             "--", "--preset", "ci", *narrow], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([str(BINARY), *compare.group(1).split()], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    assert "| configuration | verdict |" in result.stdout
    assert result.stdout.count("| naive ") + result.stdout.count("| flash2 ") == 2
