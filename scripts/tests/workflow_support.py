"""Shared helpers for the workflow tests: parse a GitHub workflow the way GitHub does, validate it
against SchemaStore's github-workflows schema (check-jsonschema's vendored copy, offline), and run
one of its `run` steps locally in bash with stand-ins for the tools it calls."""

import copy
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"

# The schema check-jsonschema uses for `--builtin-schema vendor.github-workflows`.
SCHEMA_NAME = "vendor.github-workflows"


class WorkflowLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 booleans, as GitHub reads workflows.

    YAML 1.1 (PyYAML's default) reads `on`, `off`, `yes` and `no` as booleans, which would turn
    the workflow's `on:` key into True; in YAML 1.2 only true and false are booleans."""


WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def workflow_paths():
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path):
    with Path(path).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=WorkflowLoader)


_validator = None


def validator():
    global _validator
    if _validator is None:
        schema = get_builtin_schema(SCHEMA_NAME)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    return _validator


def schema_errors(workflow):
    """One line per schema violation ('at jobs.perf.timeout-minutes: ...'), empty when the
    workflow is valid. For a value that matches none of a oneOf's branches (a job is a normal job
    or a reusable-workflow call), the line names the branch error that lies deepest."""
    def deepest(error):
        # The branch whose error lies deepest in the document is the one the author meant.
        if not error.context:
            return error
        return max((deepest(e) for e in error.context), key=lambda e: len(e.absolute_path))

    lines = []
    for error in sorted(validator().iter_errors(workflow), key=lambda e: list(map(str, e.absolute_path))):
        error = deepest(error)
        path = ".".join(map(str, error.absolute_path)) or "<root>"
        lines.append(f"at {path}: {error.message[:200]}")
    return lines


def mutated(workflow, change):
    """A deep copy of the parsed workflow with `change(copy)` applied."""
    clone = copy.deepcopy(workflow)
    change(clone)
    return clone


def step(job, name_or_id):
    """The step of `job` whose id or name is `name_or_id`."""
    for candidate in job["steps"]:
        if name_or_id in (candidate.get("id"), candidate.get("name")):
            return candidate
    raise AssertionError(f"no step named or with id {name_or_id!r}; steps: "
                         f"{[s.get('id') or s.get('name') for s in job['steps']]}")


def steps_using(job, action):
    """Steps whose `uses` is `action` (owner/name, any version)."""
    return [s for s in job["steps"] if str(s.get("uses", "")).split("@")[0] == action]


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(text, context):
    """Substitutes `${{ a.b.c }}` with the value at that path of `context` (a nested dict).

    Only plain property paths are understood: an expression the tests do not model fails the test
    rather than being guessed at."""
    def lookup(match):
        expression = match.group(1)
        if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", expression):
            raise AssertionError(f"expression not modelled by the tests: {expression!r}")
        value = context
        for key in expression.split("."):
            if not isinstance(value, dict) or key not in value:
                raise AssertionError(f"{expression!r} is not in the test's context")
            value = value[key]
        return str(value)
    return _EXPRESSION.sub(lookup, str(text))


def write_executable(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_step(step_, cwd, context=None, env=None, path_prepend=(), tmp=None):
    """Runs a step's `run` script as GitHub does on Linux (`bash --noprofile --norc -eo pipefail`),
    with the step's `env` evaluated in `context`, GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY
    pointing at files, and `path_prepend` directories first on PATH (stand-in tools).

    Returns (completed process, dict of the outputs the step wrote to GITHUB_OUTPUT)."""
    assert "run" in step_, f"step {step_.get('name')!r} has no run script"
    cwd = Path(cwd)
    tmp = Path(tmp or cwd)
    script = tmp / f"step-{abs(hash(step_['run']))}.sh"
    script.write_text(step_["run"], encoding="utf-8")
    files = {name: tmp / f"{name.lower()}.txt" for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY")}
    for file in files.values():
        file.write_text("")  # GitHub gives each step files of its own
    full_env = {
        "PATH": os.pathsep.join([*map(str, path_prepend), os.environ.get("PATH", "")]),
        "HOME": os.environ.get("HOME", str(tmp)),
        "GITHUB_WORKSPACE": str(cwd),
        **{name: str(file) for name, file in files.items()},
        **(env or {}),
    }
    for key, value in (step_.get("env") or {}).items():
        full_env[key] = evaluate(value, context or {})
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                            cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)
    return result, read_outputs(files["GITHUB_OUTPUT"])


def read_outputs(path):
    """GITHUB_OUTPUT's name=value lines (and name<<EOF blocks) as a dict."""
    outputs, lines = {}, Path(path).read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        index += 1
    return outputs


RECORDER = """#!{python}
import csv, json, os, shutil, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({{"tool": {tool!r}, "cwd": os.getcwd(), "args": args}}) + "\\n")
{behaviour}
"""


def stub(path, tool, behaviour=""):
    """A stand-in executable at `path` that records each call (tool, cwd, args) as a JSON line in
    $STUB_LOG, then runs the Python `behaviour` (with `args` bound to its arguments)."""
    return write_executable(path, RECORDER.format(python=sys.executable, tool=tool, behaviour=behaviour))


def calls(log):
    """The calls the stand-ins recorded in `log`, in order."""
    return [json.loads(line) for line in Path(log).read_text().splitlines()] if Path(log).exists() else []
