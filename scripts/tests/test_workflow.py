"""Checks of .github/workflows/perf.yml: schema-valid, and doing what it promises."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "perf.yml"


@pytest.fixture(scope="module")
def workflow():
    with WORKFLOW.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def steps(workflow):
    jobs = workflow["jobs"]
    assert len(jobs) == 1, "expected a single perf job"
    return next(iter(jobs.values()))["steps"]


def runs(steps):
    """(index, step, run script) for every step with a `run`."""
    return [(i, s, s["run"]) for i, s in enumerate(steps) if "run" in s]


def index_of(steps, pattern):
    """Index of the first step whose run script matches the regex."""
    for i, _step, script in runs(steps):
        if re.search(pattern, script):
            return i
    raise AssertionError(f"no step runs {pattern!r}")


def test_schema_valid():
    """The workflow validates against the GitHub workflow schema (vendored, offline)."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema",
         "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_triggers(workflow):
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
    assert "workflow_dispatch" in triggers


def test_checkout_has_full_history(steps):
    checkout = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkout, "no actions/checkout step"
    assert checkout[0].get("with", {}).get("fetch-depth") == 0


def test_openblas_installed_when_missing(steps):
    index_of(steps, r"apt-get install[^\n]*libopenblas-dev")


def test_release_build_and_ci_sweep(steps):
    build = index_of(steps, r"swift build -c release --product attnbench")
    sweep = index_of(steps, r"attnbench sweep --preset ci --output current\.csv")
    assert build < sweep


def test_baseline_is_built_from_base_sha_not_pr_checkout(workflow, steps):
    job = next(iter(workflow["jobs"].values()))
    assert "github.event.pull_request.base.sha" in job.get("env", {}).get("BASE_SHA", "")
    i = index_of(steps, r"git worktree add")
    script = steps[i]["run"]
    assert re.search(r"git worktree add[^\n]*\.\./base[^\n]*\$BASE_SHA", script), script
    # The baseline is built and swept inside the worktree, not in the PR checkout.
    lines = [line.strip() for line in script.splitlines()]
    cd = lines.index("cd ../base")
    build = next(n for n, line in enumerate(lines) if line.startswith("swift build -c release"))
    sweep = next(n for n, line in enumerate(lines) if "attnbench sweep --preset ci" in line)
    assert cd < build < sweep
    assert "baseline.csv" in lines[sweep]
    assert lines[sweep].startswith("./.build/release/attnbench")


def test_compare_captures_exit_code_and_fails_job(steps):
    i = index_of(steps, r"attnbench compare baseline\.csv current\.csv --format markdown > comparison\.md")
    compare = steps[i]
    assert compare.get("id"), "the compare step needs an id for its exit code"
    assert "set +e" in compare["run"] and "GITHUB_OUTPUT" in compare["run"]
    final = steps[-1]
    assert f"steps.{compare['id']}.outputs.exit_code" in str(final.get("if", "")) + str(final.get("env", ""))
    assert "exit 1" in final["run"]


def test_summary_plots_and_artifacts(steps):
    summary = index_of(steps, r"cat comparison\.md >> \"\$GITHUB_STEP_SUMMARY\"")
    plot = index_of(steps, r"python3 scripts/plot\.py baseline\.csv current\.csv --output-dir plots")
    install = index_of(steps, r"pip install[^\n]*-r scripts/requirements\.txt")
    assert install <= plot
    uploads = [s for s in steps if str(s.get("uses", "")) == "actions/upload-artifact@v4"]
    assert len(uploads) == 1
    upload = uploads[0]
    assert "always()" in str(upload.get("if", ""))
    paths = upload["with"]["path"].split()
    assert {"current.csv", "baseline.csv", "comparison.md"} <= set(paths)
    assert any(p.rstrip("/") == "plots" for p in paths)
    assert summary < steps.index(upload) and plot < steps.index(upload)


def test_runs_on_ubuntu_latest(workflow):
    job = next(iter(workflow["jobs"].values()))
    assert job["runs-on"] == "ubuntu-latest"
    assert "dedicated" in WORKFLOW.read_text(encoding="utf-8")


BINARY = Path(__import__("os").environ.get("ATTNBENCH_BINARY", str(REPO / ".build" / "release" / "attnbench")))


def test_workflow_commands_run_locally(steps, tmp_path):
    """The workflow's own sweep and compare commands, run here (the ci preset narrowed to one
    small configuration so the test stays fast): a baseline and a current sweep, then compare
    as markdown, exit status 0 or 1 (never 2: the two sweeps must match), and a table."""
    sweep = re.search(r"\./\.build/release/attnbench (sweep --preset ci)", steps[index_of(steps, r"sweep --preset ci")]["run"])
    compare = re.search(r"\./\.build/release/attnbench (compare baseline\.csv current\.csv --format markdown)",
                        steps[index_of(steps, r"attnbench compare")]["run"])
    assert sweep and compare
    narrow = ["--variants", "naive,flash2", "--seq-len", "64", "--heads", "1", "--threads", "1", "--causal", "off",
              "--query-len", "seq", "--repetitions", "5", "--min-time", "0"]
    for name in ("baseline.csv", "current.csv"):
        result = subprocess.run([str(BINARY), *sweep.group(1).split(), *narrow, "--output", name], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    result = subprocess.run([str(BINARY), *compare.group(1).split()], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    assert "| configuration | verdict |" in result.stdout
    assert result.stdout.count("| naive ") + result.stdout.count("| flash2 ") == 2
