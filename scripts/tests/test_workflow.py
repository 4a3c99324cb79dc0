"""Checks of the workflows in .github/workflows/, and of perf.yml in detail.

Every workflow is parsed as GitHub parses it (YAML 1.2) and validated against SchemaStore's
github-workflows schema (check-jsonschema's vendored copy, offline). perf.yml is then checked for
what its comments promise, mostly by running its `run` steps in bash with stand-ins for git, swift
and attnbench that record how they were called."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_support import (REPO, WORKFLOWS, calls, evaluate, load, mutated, run_step, schema_errors, step,
                              steps_using, stub, workflow_paths)

PERF = WORKFLOWS / "perf.yml"


@pytest.fixture(scope="module")
def perf():
    return load(PERF)


@pytest.fixture(scope="module")
def job(perf):
    assert list(perf["jobs"]) == ["perf"], "perf.yml runs both sweeps in one job, on one runner"
    return perf["jobs"]["perf"]


def names(job_):
    return [s.get("id") or s.get("name") for s in job_["steps"]]


def position(job_, name_or_id):
    return job_["steps"].index(step(job_, name_or_id))


# --- every workflow --------------------------------------------------------------------------------


def test_there_are_workflows():
    assert {p.name for p in workflow_paths()} >= {"perf.yml", "fleet.yml"}


@pytest.mark.parametrize("path", workflow_paths(), ids=lambda p: p.name)
def test_schema_valid(path):
    assert schema_errors(load(path)) == []


def test_check_jsonschema_command_accepts_every_workflow():
    """The same schema through check-jsonschema's own command, which parses with ruamel.yaml:
    a second parser, so a quirk of the tests' PyYAML loader cannot hide an invalid file."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         *map(str, workflow_paths())],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN = {
    "job without runs-on": (lambda w: w["jobs"]["perf"].pop("runs-on"), "'runs-on' is a required property"),
    "timeout as text": (lambda w: w["jobs"]["perf"].__setitem__("timeout-minutes", "ninety"),
                        "jobs.perf.timeout-minutes"),
    "`steps` misspelt": (lambda w: w["jobs"]["perf"].__setitem__("step", w["jobs"]["perf"].pop("steps")),
                         "'step' was unexpected"),
    "step with neither run nor uses": (lambda w: w["jobs"]["perf"]["steps"].append({"name": "nothing"}),
                                       "'uses' is a required property"),
    "`with` as a string": (lambda w: w["jobs"]["perf"]["steps"][0].__setitem__("with", "fetch-depth: 0"),
                           "jobs.perf.steps.0.with"),
    "unknown permission level": (lambda w: w.__setitem__("permissions", {"contents": "readwrite"}),
                                 "permissions.contents"),
    "unknown event": (lambda w: w["on"].__setitem__("pull_requests", None), "at on:"),
    # What PyYAML's default YAML 1.1 loader makes of `on:`; GitHub (YAML 1.2) reads a string.
    "`on` read as the boolean true": (lambda w: w.__setitem__(True, w.pop("on")), "'on' is a required property"),
}


@pytest.mark.parametrize("change, expected", BROKEN.values(), ids=BROKEN.keys())
def test_validator_rejects_a_broken_copy(perf, change, expected):
    assert schema_errors(perf) == []
    errors = schema_errors(mutated(perf, change))
    assert errors, "the schema accepted a broken workflow"
    assert any(expected in line for line in errors), errors


def test_loader_reads_on_as_a_string():
    for path in workflow_paths():
        workflow = load(path)
        assert "on" in workflow and True not in workflow, path.name


def all_jobs():
    return [(path.name, job_id, job_)
            for path in workflow_paths() for job_id, job_ in load(path)["jobs"].items()]


@pytest.mark.parametrize("workflow, job_id, job_", all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_has_a_time_limit(workflow, job_id, job_):
    assert job_.get("timeout-minutes"), f"{workflow}: job {job_id} has no timeout-minutes"


@pytest.mark.parametrize("workflow, job_id, job_", all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_run_scripts_take_inputs_through_env_not_expressions(workflow, job_id, job_):
    """`${{ }}` inside a run script is pasted into the shell before it runs (script injection from
    inputs or PR data); values reach scripts as environment variables instead."""
    for step_ in job_["steps"]:
        assert "${{" not in step_.get("run", ""), f"{workflow}: {job_id}: step {step_.get('name')!r}"


@pytest.mark.parametrize("workflow, job_id, job_", all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_step_outputs_referenced_are_written_by_an_earlier_step(workflow, job_id, job_):
    """Every `steps.ID.outputs.NAME` names an earlier step that writes NAME= to GITHUB_OUTPUT."""
    for index, step_ in enumerate(job_["steps"]):
        text = json.dumps({k: v for k, v in step_.items() if k != "run"})
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
            earlier = [s for s in job_["steps"][:index] if s.get("id") == step_id]
            assert earlier, f"{workflow}: {job_id}: step {step_.get('name')!r} reads steps.{step_id}, not an earlier step"
            assert re.search(rf"\b{output}=", earlier[0].get("run", "")), \
                f"{workflow}: {job_id}: step {step_id!r} never writes {output}= to GITHUB_OUTPUT"
    for output, value in (job_.get("outputs") or {}).items():
        for step_id, name in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", value):
            producer = [s for s in job_["steps"] if s.get("id") == step_id]
            assert producer and re.search(rf"\b{name}=", producer[0].get("run", "")), \
                f"{workflow}: {job_id}: output {output} reads steps.{step_id}.outputs.{name}, which no step writes"


@pytest.mark.parametrize("workflow, job_id, job_", all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_hidden_paths_are_uploaded_with_include_hidden_files(workflow, job_id, job_):
    """upload-artifact v4.4+ silently leaves out hidden files unless include-hidden-files is set."""
    for upload in steps_using(job_, "actions/upload-artifact"):
        paths = str(upload["with"]["path"]).split()
        if any(part.startswith(".") and part not in (".", "..") for p in paths for part in p.split("/")):
            assert upload["with"].get("include-hidden-files") is True, f"{workflow}: {job_id}: {paths}"


# --- perf.yml: triggers and job ----------------------------------------------------------------------


def test_triggers(perf):
    triggers = perf["on"]
    assert set(triggers) == {"pull_request", "workflow_dispatch"}
    base = triggers["workflow_dispatch"]["inputs"]["base"]
    assert base["required"] is False and base["default"] == ""


def test_permissions_and_concurrency(perf):
    assert perf["permissions"] == {"contents": "read"}
    # One run per pull request: a new push cancels the run of the previous one.
    assert "github.event.pull_request.number" in perf["concurrency"]["group"]
    assert perf["concurrency"]["cancel-in-progress"] is True


def test_runner_and_time_limit(job):
    # A hosted runner by default; the comment above it says how to use a dedicated one.
    assert job["runs-on"] == "ubuntu-latest"
    assert 30 <= job["timeout-minutes"] <= 360


def test_baseline_commit_is_the_pull_requests_base_or_the_input(job):
    assert evaluate(job["env"]["BASE_SHA"], {"github": {"event": {"pull_request": {"base": {"sha": "abc"}}}}}) == "abc"
    assert "inputs.base" in job["env"]["BASE_INPUT"]
    assert "github.event.repository.default_branch" in job["env"]["BASE_INPUT"]


def test_checkout_has_full_history(job):
    checkout = steps_using(job, "actions/checkout")
    assert len(checkout) == 1 and job["steps"][0] is checkout[0]
    # The base commit is checked out from this clone's history.
    assert checkout[0]["with"]["fetch-depth"] == 0


def test_swift_is_set_up_only_when_missing(job):
    look = step(job, "swift")
    setup = steps_using(job, "swift-actions/setup-swift")
    assert len(setup) == 1 and setup[0]["if"] == "steps.swift.outputs.found != 'true'"
    assert position(job, "swift") < job["steps"].index(setup[0])
    assert "command -v swift" in look["run"]


def test_step_order(job):
    order = ["Build the pull request (release)", "Resolve the base commit", "Build the base commit",
             "Sweep both builds, interleaved", "compare", "benchmark_base",
             "Copy the base baseline into the pull request's Benchmarks", "benchmark_check",
             "Write the comparison to the job summary", "Plot baseline and pull request", "Upload results",
             "Fail on regression or unusable input"]
    positions = [position(job, name) for name in order]
    assert positions == sorted(positions), names(job)
    assert positions[-1] == len(job["steps"]) - 1, "the verdict is the last step"


# --- perf.yml: its steps, run with stand-ins --------------------------------------------------------

@pytest.fixture
def workspace(tmp_path):
    """tmp/ws is the checkout ($GITHUB_WORKSPACE), tmp/base the base worktree's place (../base),
    tmp/bin the stand-in tools; returns (ws, env with STUB_LOG, bin)."""
    ws, bin_dir = tmp_path / "ws", tmp_path / "bin"
    ws.mkdir()
    bin_dir.mkdir()
    return ws, {"STUB_LOG": str(tmp_path / "calls.jsonl")}, bin_dir


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


# The package-benchmark suite: baseline 'base' in the base worktree, copied, checked in the PR.

SWIFT_PACKAGE = """
if args[:1] == ['package'] and 'benchmark' in args:
    verb = args.index('benchmark')
    package = Path(args[args.index('--package-path') + 1])
    if args[verb + 1:verb + 4] == ['baseline', 'update', 'base']:
        target = package / '.benchmarkBaselines' / 'AttentionBenchmarks' / 'base'
        target.mkdir(parents=True)
        (target / 'results.json').write_text('{"from": "' + os.getcwd() + '"}')
    elif args[verb + 1:verb + 4] == ['baseline', 'check', 'base']:
        stored = package / '.benchmarkBaselines' / 'AttentionBenchmarks' / 'base' / 'results.json'
        print('checked against', stored.read_text() if stored.exists() else 'nothing')
        print(os.environ.get('CHECK_OUTPUT', ''))
        sys.exit(int(os.environ.get('CHECK_EXIT', '0')))
"""


def run_benchmark_steps(job_, ws, env, bin_dir, **check_env):
    stub(bin_dir / "swift", "swift", SWIFT_PACKAGE)
    record, outputs = run_step(step(job_, "benchmark_base"), ws, env=env, path_prepend=[bin_dir], tmp=ws.parent)
    assert record.returncode == 0, record.stderr
    if outputs.get("recorded") != "true":
        return outputs, None
    for name in ("Copy the base baseline into the pull request's Benchmarks",):
        copy_, _ = run_step(step(job_, name), ws, env=env, tmp=ws.parent)
        assert copy_.returncode == 0, copy_.stderr
    check, check_outputs = run_step(step(job_, "benchmark_check"), ws, path_prepend=[bin_dir], tmp=ws.parent,
                                    env={**env, **check_env})
    assert check.returncode == 0, "the check step records its verdict; the last step decides\n" + check.stderr
    return outputs, (check, check_outputs)


def test_package_benchmarks_are_recorded_in_the_base_and_checked_in_the_pull_request(job, workspace):
    ws, env, bin_dir = workspace
    (ws.parent / "base/Benchmarks").mkdir(parents=True)
    (ws.parent / "base/Benchmarks/Package.swift").write_text("// base\n")
    (ws / "Benchmarks/.benchmarkBaselines/stale").mkdir(parents=True)
    outputs, (check, check_outputs) = run_benchmark_steps(job, ws, env, bin_dir)
    assert outputs == {"recorded": "true"}
    update, run_check = [c for c in calls(env["STUB_LOG"]) if c["tool"] == "swift"]
    # `swift package` options come before the plugin's verb; the baseline is written in the base.
    assert update["cwd"] == str(ws.parent / "base")
    verb = update["args"].index("benchmark")
    assert update["args"][0] == "package"
    assert {"--package-path", "Benchmarks", "--allow-writing-to-package-directory"} <= set(update["args"][:verb])
    assert update["args"][verb + 1:verb + 4] == ["baseline", "update", "base"]
    # The PR's check reads the base's baseline, copied over any stale one.
    assert run_check["cwd"] == str(ws)
    verb = run_check["args"].index("benchmark")
    assert run_check["args"][:verb] == ["package", "--package-path", "Benchmarks"]
    assert run_check["args"][verb + 1:verb + 4] == ["baseline", "check", "base"]
    assert f'"from": "{ws.parent / "base"}"' in check.stdout
    assert not (ws / "Benchmarks/.benchmarkBaselines/stale").exists()
    assert check_outputs == {"verdict": "within"}
    assert "checked against" in (ws / "benchmark-check.txt").read_text()
    copy_and_check = [step(job, "Copy the base baseline into the pull request's Benchmarks"), step(job, "benchmark_check")]
    assert all(s["if"] == "steps.benchmark_base.outputs.recorded == 'true'" for s in copy_and_check)


CHECKS = {  # what `swift package benchmark baseline check` prints and exits with -> verdict
    "within": ("New baseline 'Current_run' is WITHIN the 'base' baseline thresholds.", 0, "within"),
    # SwiftPM turns a plugin's thrown error into exit 1 and prints its name.
    "regression": ("New baseline 'Current_run' is WORSE than the 'base' baseline thresholds.\n"
                   "error: benchmarkThresholdRegression", 1, "regression"),
    "improvement": ("New baseline 'Current_run' is BETTER than the 'base' baseline thresholds.\n"
                    "error: benchmarkThresholdImprovement", 1, "improvement"),
    "documented code 2": ("", 2, "regression"),
    "documented code 4": ("", 4, "improvement"),
    "build failure": ("error: compile command failed due to signal 9", 1, "failed"),
    "crash": ("One or more benchmark suites crashed during runtime.\nerror: benchmarkCrashed", 1, "failed"),
}


@pytest.mark.parametrize("output, code, verdict", CHECKS.values(), ids=CHECKS.keys())
def test_threshold_check_verdict(job, workspace, output, code, verdict):
    ws, env, bin_dir = workspace
    (ws.parent / "base/Benchmarks").mkdir(parents=True)
    (ws.parent / "base/Benchmarks/Package.swift").write_text("// base\n")
    _, (check, check_outputs) = run_benchmark_steps(job, ws, env, bin_dir, CHECK_OUTPUT=output, CHECK_EXIT=str(code))
    assert check_outputs == {"verdict": verdict}, check.stdout


def test_threshold_check_is_skipped_when_the_base_has_no_benchmark_package(job, workspace):
    ws, env, bin_dir = workspace
    (ws.parent / "base").mkdir()
    outputs, check = run_benchmark_steps(job, ws, env, bin_dir)
    assert outputs == {"recorded": "false"} and check is None
    assert calls(env["STUB_LOG"]) == []


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


def test_plots_are_drawn_but_do_not_decide_the_check(job):
    python = steps_using(job, "actions/setup-python")
    plot = step(job, "Plot baseline and pull request")
    assert len(python) == 1 and job["steps"].index(python[0]) < position(job, "Plot baseline and pull request")
    assert plot["continue-on-error"] is True
    assert "always()" in plot["if"] and "hashFiles('baseline.csv')" in plot["if"] and "hashFiles('current.csv')" in plot["if"]
    lines = [line.strip() for line in plot["run"].splitlines()]
    assert lines == ["python3 -m pip install --disable-pip-version-check -r scripts/requirements.txt",
                     "python3 scripts/plot.py baseline.csv current.csv --output-dir plots"]


def test_results_are_uploaded_even_after_a_failure(job):
    uploads = steps_using(job, "actions/upload-artifact")
    assert len(uploads) == 1
    upload = uploads[0]
    assert upload["uses"] == "actions/upload-artifact@v4" and upload["if"] == "always()"
    assert upload["with"]["name"] == "perf-results"
    assert set(upload["with"]["path"].split()) == {
        "current.csv", "baseline.csv", "comparison.md", "benchmark-check.txt", "Benchmarks/.benchmarkBaselines/", "plots/"}


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
