"""Checks of every workflow in .github/workflows/.

Every workflow is parsed as GitHub parses it (YAML 1.2) and validated against SchemaStore's
github-workflows schema (check-jsonschema's vendored copy, offline); every job is checked for a
time limit, for inputs reaching run scripts through env, and for the step outputs it reads.
perf.yml is checked in detail by test_perf_workflow.py, test_perf_steps.py and
test_perf_benchmarks.py, fleet.yml by test_fleet.py."""

import json
import re
import subprocess
import sys

import pytest

from perf_support import PERF
from workflow_support import load, mutated, schema_errors, steps_using, workflow_paths


@pytest.fixture(scope="module")
def perf():
    return load(PERF)


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
            assert earlier, \
                f"{workflow}: {job_id}: step {step_.get('name')!r} reads steps.{step_id}, not an earlier step"
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
