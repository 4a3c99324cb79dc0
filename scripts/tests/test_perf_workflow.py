"""Checks of perf.yml's structure: its triggers, permissions and concurrency, its one job and the
order of its steps, the plot step and the upload of the results."""

import pytest

from perf_support import PERF, names, perf_job, position
from workflow_support import evaluate, load, step, steps_using


@pytest.fixture(scope="module")
def perf():
    return load(PERF)


@pytest.fixture(scope="module")
def job(perf):
    return perf_job(perf)


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


# --- perf.yml: plots and uploads ---------------------------------------------------------------------


def test_plots_are_drawn_but_do_not_decide_the_check(job):
    python = steps_using(job, "actions/setup-python")
    plot = step(job, "Plot baseline and pull request")
    assert len(python) == 1 and job["steps"].index(python[0]) < position(job, "Plot baseline and pull request")
    assert plot["continue-on-error"] is True
    assert "always()" in plot["if"]
    assert "hashFiles('baseline.csv')" in plot["if"] and "hashFiles('current.csv')" in plot["if"]
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
        "current.csv", "baseline.csv", "comparison.md", "benchmark-check.txt", "Benchmarks/.benchmarkBaselines/",
        "plots/"}
