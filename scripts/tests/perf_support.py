"""Shared helpers of the perf.yml tests (test_workflow.py, test_perf_*.py): the workflow's path,
its one job, its steps by name, and a scratch workspace with a folder for stand-in tools."""

import pytest

from workflow_support import WORKFLOWS, load, step

PERF = WORKFLOWS / "perf.yml"


def perf_job(perf):
    """perf.yml's only job."""
    assert list(perf["jobs"]) == ["perf"], "perf.yml runs both sweeps in one job, on one runner"
    return perf["jobs"]["perf"]


def names(job_):
    return [s.get("id") or s.get("name") for s in job_["steps"]]


def position(job_, name_or_id):
    return job_["steps"].index(step(job_, name_or_id))


def new_workspace(tmp_path):
    """tmp/ws is the checkout ($GITHUB_WORKSPACE), tmp/base the base worktree's place (../base),
    tmp/bin the stand-in tools; returns (ws, env with STUB_LOG, bin)."""
    ws, bin_dir = tmp_path / "ws", tmp_path / "bin"
    ws.mkdir()
    bin_dir.mkdir()
    return ws, {"STUB_LOG": str(tmp_path / "calls.jsonl")}, bin_dir


@pytest.fixture(scope="module")
def job():
    """perf.yml's one job, loaded once per test module (import it into the module to use it)."""
    return perf_job(load(PERF))


@pytest.fixture
def workspace(tmp_path):
    """A scratch workspace (see new_workspace)."""
    return new_workspace(tmp_path)
