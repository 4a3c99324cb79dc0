"""Checks of .github/workflows/fleet.yml (schema and structure, its steps run locally with
stand-ins) and of scripts/fleet_plan.py, which makes its matrix. fleet_summary.py, fleet-merge.sh
and the Slurm scripts have test_fleet_summary.py, test_fleet_merge.py and test_fleet_slurm.py."""

import fnmatch
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/, for fleet_plan

import fleet_plan  # noqa: E402
from fleet_support import FLEET, INPUTS  # noqa: E402
from workflow_support import (REPO, calls, evaluate, load, mutated, run_step, schema_errors, step,  # noqa: E402
                              steps_using, stub)


@pytest.fixture(scope="module")
def fleet():
    return load(FLEET)


@pytest.fixture(scope="module")
def matrix():
    return fleet_plan.plan(INPUTS["runners"], INPUTS["shards"])


# --- fleet.yml: schema and inputs --------------------------------------------------------------------


def test_schema_valid(fleet):
    assert schema_errors(fleet) == []


BROKEN = {
    "matrix job without runs-on": (lambda w: w["jobs"]["sweep"].pop("runs-on"), "'runs-on' is a required property"),
    "matrix as a list": (lambda w: w["jobs"]["sweep"]["strategy"].__setitem__("matrix", ["a"]),
                         "jobs.sweep.strategy.matrix"),
    "needs as a number": (lambda w: w["jobs"]["merge"].__setitem__("needs", 3), "jobs.merge.needs"),
    "job outputs as a list": (lambda w: w["jobs"]["plan"].__setitem__("outputs", ["matrix"]), "jobs.plan.outputs"),
}


@pytest.mark.parametrize("change, expected", BROKEN.values(), ids=BROKEN.keys())
def test_validator_rejects_a_broken_copy(fleet, change, expected):
    errors = schema_errors(mutated(fleet, change))
    assert any(expected in line for line in errors), errors


def test_manual_trigger_and_inputs(fleet):
    assert list(fleet["on"]) == ["workflow_dispatch"]
    inputs = fleet["on"]["workflow_dispatch"]["inputs"]
    # The schema does not reach these: its workflow_dispatch entry puts its rules beside a $ref,
    # and draft-07 ignores a $ref's siblings. So the inputs are checked here.
    assert len(inputs) <= 10
    for name, spec in inputs.items():
        assert set(spec) <= {"description", "type", "default", "required", "options"}, name
        assert spec["type"] in {"string", "choice", "boolean", "number", "environment"}, name
        assert isinstance(spec["description"], str) and spec["description"], name
    assert inputs["preset"]["type"] == "choice"
    assert inputs["preset"]["options"] == ["default", "quick", "ci", "full", "compute"]
    assert inputs["preset"]["default"] in inputs["preset"]["options"]
    assert inputs["sweep_args"]["type"] == "string" and inputs["sweep_args"]["default"] == ""
    assert inputs["runners"]["type"] == "string"
    assert isinstance(json.loads(inputs["runners"]["default"]), list)
    assert inputs["shards"]["type"] == "number" and inputs["shards"]["default"] >= 1
    assert inputs["timeout_minutes"]["type"] == "number" and 0 < inputs["timeout_minutes"]["default"] <= 360
    # The defaults make a plan.
    fleet_plan.plan(inputs["runners"]["default"], inputs["shards"]["default"])
    assert fleet["permissions"] == {"contents": "read"}


def test_jobs_and_their_order(fleet):
    jobs = fleet["jobs"]
    assert list(jobs) == ["plan", "sweep", "merge"]
    assert jobs["sweep"]["needs"] == "plan"
    assert set(jobs["merge"]["needs"]) == {"plan", "sweep"}


# --- plan ------------------------------------------------------------------------------------------------


def test_plan_job_outputs_the_matrix_from_fleet_plan(fleet, tmp_path, matrix):
    plan = fleet["jobs"]["plan"]
    assert plan["outputs"] == {"matrix": "${{ steps.plan.outputs.matrix }}"}
    assert steps_using(plan, "actions/checkout"), "fleet_plan.py comes from the checkout"
    result, outputs = run_step(step(plan, "plan"), REPO, context={"inputs": INPUTS}, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs["matrix"]) == matrix


@pytest.mark.parametrize("runners, shards", [("ubuntu-latest", 2), ('["ubuntu-latest"]', 0), ("[]", 1)])
def test_plan_job_fails_on_unusable_inputs(fleet, tmp_path, runners, shards):
    result, outputs = run_step(step(fleet["jobs"]["plan"], "plan"), REPO, tmp=tmp_path,
                               context={"inputs": {**INPUTS, "runners": runners, "shards": shards}})
    assert result.returncode == 2 and "matrix" not in outputs
    assert result.stderr.startswith("fleet_plan.py: ") and result.stderr.count("\n") == 1, result.stderr


def test_plan_is_runner_label_by_shard(matrix):
    assert matrix["include"] == [
        {"runner": runner, "label": runner, "shard": shard, "shards": 3}
        for runner in ("ubuntu-latest", "ubuntu-24.04-arm") for shard in (1, 2, 3)]


def test_plan_names_a_runner_given_by_several_labels():
    [job] = fleet_plan.plan('[["self-hosted", "linux", "perf"]]', "1")["include"]
    assert job == {"runner": ["self-hosted", "linux", "perf"], "label": "self-hosted-linux-perf",
                   "shard": 1, "shards": 1}


@pytest.mark.parametrize("runners, shards, message", [
    ("ubuntu-latest", 2, "must be a JSON list"),
    ('{"a": 1}', 2, "non-empty JSON list"),
    ('["ubuntu-latest", 3]', 2, "each runner must be a label"),
    ('["a"]', "2.5", "whole number"),
    ('["a"]', "-1", "whole number"),
    ('["a", "b"]', 200, "at most 256 jobs"),
    ('["a b", "a/b"]', 1, "share the name 'a-b'"),
    ('["***"]', 1, "no letters or digits"),
])
def test_plan_rejects(runners, shards, message):
    with pytest.raises(fleet_plan.PlanError, match=re.escape(message)):
        fleet_plan.plan(runners, shards)


# --- sweep -----------------------------------------------------------------------------------------------


def test_sweep_job_runs_the_planned_matrix(fleet):
    sweep = fleet["jobs"]["sweep"]
    assert sweep["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert sweep["strategy"]["fail-fast"] is False
    assert sweep["runs-on"] == "${{ matrix.runner }}"
    assert evaluate(sweep["timeout-minutes"], {"inputs": INPUTS}) == "120"


def test_sweep_job_installs_what_is_missing(fleet):
    sweep = fleet["jobs"]["sweep"]
    assert steps_using(sweep, "actions/checkout")
    install = step(sweep, "Install OpenBLAS (if missing)")["run"]
    assert "dpkg -s libopenblas-dev" in install and "apt-get install -y -qq libopenblas-dev" in install
    setup = steps_using(sweep, "swift-actions/setup-swift")
    assert len(setup) == 1 and setup[0]["if"] == "steps.swift.outputs.found != 'true'"
    assert sweep["steps"].index(step(sweep, "swift")) < sweep["steps"].index(setup[0])


def sweep_step(fleet):
    [found] = [s for s in fleet["jobs"]["sweep"]["steps"] if "./scripts/attnbench sweep" in s.get("run", "")]
    return found


@pytest.mark.parametrize("sweep_args, extra", [
    ("", []),
    ("--variants naive,flash2  --seq-len 1k,2k", ["--variants", "naive,flash2", "--seq-len", "1k,2k"]),
    # Split into words, never run: no command substitution, no second command.
    ("--seq-len $(touch injected) ; touch injected", ["--seq-len", "$(touch", "injected)", ";", "touch", "injected"]),
])
def test_sweep_step_runs_its_shard_and_the_upload_finds_the_csv(fleet, matrix, tmp_path, sweep_args, extra):
    ws = tmp_path / "ws"
    log = tmp_path / "calls.jsonl"
    stub(ws / "scripts" / "attnbench", "attnbench", "Path(args[args.index('--output') + 1]).write_text('csv\\n')")
    entry = matrix["include"][4]  # ubuntu-24.04-arm, shard 2 of 3
    context = {"inputs": {**INPUTS, "sweep_args": sweep_args}, "matrix": entry}
    result, _ = run_step(sweep_step(fleet), ws, context=context, env={"STUB_LOG": str(log)}, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    [call] = calls(log)
    assert call["args"] == ["sweep", "--preset", "ci", *extra,
                            "--shard", "2/3", "--output", "results/shard-ubuntu-24.04-arm-2.csv"]
    assert not (ws / "injected").exists()
    upload = steps_using(fleet["jobs"]["sweep"], "actions/upload-artifact")
    assert len(upload) == 1 and upload[0]["if"] == "always()"
    written = [p.relative_to(ws).as_posix() for p in ws.rglob("*.csv")]
    assert written == [evaluate(upload[0]["with"]["path"], context)]


def test_every_shard_uploads_under_its_own_name_that_the_merge_downloads(fleet, matrix):
    [upload] = steps_using(fleet["jobs"]["sweep"], "actions/upload-artifact")
    names = [evaluate(upload["with"]["name"], {"matrix": entry}) for entry in matrix["include"]]
    assert len(set(names)) == len(names), names
    [download] = steps_using(fleet["jobs"]["merge"], "actions/download-artifact")
    assert download["uses"] == "actions/download-artifact@v4"
    assert all(fnmatch.fnmatchcase(name, download["with"]["pattern"]) for name in names)
    # merge-multiple puts every shard's CSV in one folder, as fleet-merge.sh expects.
    assert download["with"]["merge-multiple"] is True


# --- merge -----------------------------------------------------------------------------------------------


def test_merge_job_runs_after_every_shard_even_failed_ones(fleet):
    merge = fleet["jobs"]["merge"]
    assert "always()" in merge["if"]
    assert "needs.plan.result == 'success'" in merge["if"]
    assert merge["timeout-minutes"] > 0


def test_merge_job_builds_plots_and_uploads(fleet, tmp_path):
    merge = fleet["jobs"]["merge"]
    steps = merge["steps"]
    [download] = steps_using(merge, "actions/download-artifact")
    [python] = steps_using(merge, "actions/setup-python")
    assert steps_using(merge, "swift-actions/setup-swift") and step(merge, "Install OpenBLAS (if missing)")
    install = step(merge, "Install the Python packages")
    assert "-r scripts/requirements.txt" in install["run"]
    [run_merge] = [s for s in steps if "fleet-merge.sh" in s.get("run", "")]
    assert steps.index(python) < steps.index(install) < steps.index(run_merge)
    assert steps.index(download) < steps.index(run_merge)
    # The step hands fleet-merge.sh the download folder and the folder it uploads.
    ws = tmp_path / "ws"
    log = tmp_path / "calls.jsonl"
    stub(ws / "scripts" / "fleet-merge.sh", "fleet-merge.sh")
    result, _ = run_step(run_merge, ws, env={"STUB_LOG": str(log)}, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    [call] = calls(log)
    [upload] = steps_using(merge, "actions/upload-artifact")
    assert call["args"] == [download["with"]["path"], upload["with"]["path"].rstrip("/")]
    assert upload["if"] == "always()" and upload["with"]["name"] == "fleet-results"
