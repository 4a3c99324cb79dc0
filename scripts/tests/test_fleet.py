"""Checks of the sharded-sweep tooling: .github/workflows/fleet.yml (schema and structure, its steps
run locally with stand-ins), scripts/fleet_plan.py, scripts/fleet_summary.py on a synthetic
two-machine CSV, scripts/fleet-merge.sh with a stand-in and with the real binary, and the Slurm
scripts in scripts/slurm/."""

import csv
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/, for fleet_plan

import fleet_plan  # noqa: E402
from workflow_support import (REPO, WORKFLOWS, calls, evaluate, load, mutated, run_step, schema_errors,  # noqa: E402
                              step, steps_using, stub)

FLEET = WORKFLOWS / "fleet.yml"
PLAN = REPO / "scripts" / "fleet_plan.py"
SUMMARY = REPO / "scripts" / "fleet_summary.py"
MERGE = REPO / "scripts" / "fleet-merge.sh"
SWEEP_SBATCH = REPO / "scripts" / "slurm" / "sweep.sbatch"
MERGE_SBATCH = REPO / "scripts" / "slurm" / "merge.sbatch"
SCHEMA = json.loads((REPO / "schema" / "columns.json").read_text(encoding="utf-8"))
COLUMNS = [column["name"] for column in SCHEMA["columns"]]

INPUTS = {"preset": "ci", "sweep_args": "", "runners": '["ubuntu-latest","ubuntu-24.04-arm"]',
          "shards": 3, "timeout_minutes": 120}


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
    assert job == {"runner": ["self-hosted", "linux", "perf"], "label": "self-hosted-linux-perf", "shard": 1, "shards": 1}


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


# --- synthetic merged CSVs -------------------------------------------------------------------------------

FILLER = {"int": "1", "float": "0.5", "bool": "false", "str": ""}
MACHINE_A = {"cpu_model": "AMD EPYC 7763 64-Core Processor", "cpu_cores": "4", "openblas_core": "Zen"}
MACHINE_B = {"cpu_model": "Neoverse-N1 | r3p1", "cpu_cores": "4", "openblas_core": "NEOVERSEN1"}


def row(machine, hostname="host-a", **values):
    """A schema-2 row (header from schema/columns.json): a flash2 time row unless told otherwise."""
    base = {c["name"]: FILLER[c["type"]] for c in SCHEMA["columns"]}
    base.update(schema_version=str(SCHEMA["schema_version"]), kind="time", variant="flash2", batch="1",
                heads="8", kv_heads="8", seq_len_q="256", seq_len_kv="256", head_dim="64", block_q="64",
                block_kv="256", block_auto="true", causal="false", threads="2", blas_core_requested="env",
                status="ok", wall_time_median_s="0.00113", gflops="59.7", peak_efficiency="0.123",
                hostname=hostname, git_commit="0123456789ab", window="", key_lengths="", model="",
                naive_strategy="", memory_budget_bytes="")
    base.update(machine)
    base.update(values)
    return base


def write_csv(path, rows, columns=COLUMNS):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def two_machine_rows():
    return [
        row(MACHINE_A, seq_len_q="1024", seq_len_kv="1024", wall_time_median_s="0.0123", gflops="87.3",
            peak_efficiency="0.181"),
        row(MACHINE_A),
        row(MACHINE_A, variant="naive", block_q="", block_kv="", naive_strategy="auto:slices",
            wall_time_median_s="0.0021", gflops="31.9", peak_efficiency="0.066"),
        # The same configuration measured on a second host of the same machine: reduced to a median.
        row(MACHINE_A, hostname="host-a2", wall_time_median_s="0.00133", gflops="50.5", peak_efficiency="0.104"),
        row(MACHINE_A, hostname="host-a2", wall_time_median_s="0.00093", gflops="72.2", peak_efficiency="0.150"),
        row(MACHINE_A, variant="naive", kind="maxlen", block_q="", block_kv="", seq_len_q="", seq_len_kv="",
            max_seq_len="23040", max_seq_len_bound="memory", memory_budget_bytes=str(512 * 2**20),
            wall_time_median_s="", gflops="", peak_efficiency=""),
        row(MACHINE_B, hostname="arm-1", wall_time_median_s="0.000412", gflops="163.0", peak_efficiency="0.402"),
        row(MACHINE_B, hostname="arm-1", variant="naive", block_q="", block_kv="", seq_len_q="1024",
            seq_len_kv="1024", status="oom", message="out of memory", wall_time_median_s="", gflops="",
            peak_efficiency=""),
    ]


def summarize(path, *extra):
    return subprocess.run([sys.executable, str(SUMMARY), str(path), *extra],
                          capture_output=True, text=True, timeout=60)


def table_rows(markdown, section):
    """{(variant, shape): [cells]} of the first table under the '### section' heading."""
    text = markdown.split(f"### {section}\n", 1)[1].split("\n### ", 1)[0]
    table = text.strip().split("\n\n")[1]  # the facts line, then the table
    header, _rule, *body = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
                            for line in table.splitlines()]
    return header, {(cells[0], cells[1]): cells for cells in body}


# --- fleet_summary.py ------------------------------------------------------------------------------------


def test_summary_has_one_section_per_machine(tmp_path):
    result = summarize(write_csv(tmp_path / "all.csv", two_machine_rows()))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("## attnbench fleet sweep: 2 machines, 8 rows\n")
    headings = re.findall(r"^### (.*)$", text, re.M)
    assert headings == ["AMD EPYC 7763 64-Core Processor · 4 cores · OpenBLAS Zen",
                        "Neoverse-N1 \\| r3p1 · 4 cores · OpenBLAS NEOVERSEN1"]
    assert "6 rows (6 ok); hosts: host-a, host-a2; built from 0123456789ab" in text


def test_summary_table_of_variant_by_shape(tmp_path):
    text = summarize(write_csv(tmp_path / "all.csv", two_machine_rows())).stdout
    header, rows = table_rows(text, "AMD EPYC 7763 64-Core Processor · 4 cores · OpenBLAS Zen")
    assert header == ["variant", "shape", "median time", "GFLOP/s", "peak efficiency", "status", "rows"]
    small = "B1 H8 Sq256 Skv256 d64 t2"
    assert list(rows) == [  # shapes by their numbers (256 before 1024), then variants in schema order
        ("naive", f"{small} auto:slices"), ("flash2", f"{small} blocks 64×256"),
        ("flash2", "B1 H8 Sq1024 Skv1024 d64 t2 blocks 64×256")]
    # Three measurements of one configuration: medians 1.13 ms, 59.7 GFLOP/s, 12.3 %.
    assert rows[("flash2", f"{small} blocks 64×256")][2:] == ["1.13 ms", "59.7", "12.3 %", "ok", "3"]
    assert rows[("flash2", "B1 H8 Sq1024 Skv1024 d64 t2 blocks 64×256")][2:] == ["12.3 ms", "87.3", "18.1 %", "ok", "1"]
    assert rows[("naive", f"{small} auto:slices")][2:5] == ["2.1 ms", "31.9", "6.6 %"]
    # The maximum-length row has its own table.
    assert "| naive | B1 H8 d64 t2 budget 512 MiB | 23040 | memory | ok |" in text


def test_summary_shows_failed_rows_without_numbers(tmp_path):
    text = summarize(write_csv(tmp_path / "all.csv", two_machine_rows())).stdout
    header, rows = table_rows(text, "Neoverse-N1 \\| r3p1 · 4 cores · OpenBLAS NEOVERSEN1")
    assert "rows" not in header  # every configuration measured once on this machine
    assert rows[("naive", "B1 H8 Sq1024 Skv1024 d64 t2")][2:] == ["—", "—", "—", "oom"]
    assert rows[("flash2", "B1 H8 Sq256 Skv256 d64 t2 blocks 64×256")][2:] == ["412 µs", "163.0", "40.2 %", "ok"]


def test_summary_of_a_csv_without_rows(tmp_path):
    result = summarize(write_csv(tmp_path / "all.csv", []))
    assert result.returncode == 0 and "all.csv has no rows." in result.stdout


@pytest.mark.parametrize("case, message", [
    ("no peak_efficiency", "lacks column(s) peak_efficiency"),
    ("schema 1 rows", "has rows of schema version 1"),
    ("empty file", "is empty"),
    ("missing file", "cannot read"),
])
def test_summary_rejects_unusable_input_in_one_line(tmp_path, case, message):
    path = tmp_path / "all.csv"
    if case == "no peak_efficiency":
        write_csv(path, two_machine_rows(), [c for c in COLUMNS if c != "peak_efficiency"])
    elif case == "schema 1 rows":
        write_csv(path, [row(MACHINE_A, schema_version="1")])
    elif case == "empty file":
        path.write_text("")
    result = summarize(path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("fleet_summary.py: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


# --- fleet-merge.sh with a stand-in attnbench ------------------------------------------------------------

# `attnbench merge A.csv B.csv ... --output ALL.csv`: one header, same header everywhere, else exit 2.
MERGE_STAND_IN = """
assert args[0] == 'merge', args
output = args[args.index('--output') + 1]
header, rows = None, []
for path in [a for a in args[1:] if a not in ('--output', output)]:
    with open(path, newline='') as handle:
        lines = list(csv.reader(handle))
    if header is None:
        header = lines[0]
    elif lines[0] != header:
        print(f'error: {path} has another header', file=sys.stderr)
        sys.exit(2)
    rows += lines[1:]
with open(output, 'w', newline='') as handle:
    csv.writer(handle, lineterminator='\\n').writerows([header, *rows])
"""


def run_merge(*args, env=None, cwd=None):
    return subprocess.run(["bash", str(MERGE), *map(str, args)], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture
def stand_in(tmp_path):
    log = tmp_path / "calls.jsonl"
    binary = stub(tmp_path / "bin" / "attnbench", "attnbench", MERGE_STAND_IN)
    return {"ATTNBENCH": str(binary), "STUB_LOG": str(log), "PYTHON": sys.executable}


def test_fleet_merge_merges_every_shard_and_writes_the_summary(tmp_path, stand_in):
    rows = two_machine_rows()
    shards = tmp_path / "shards"
    # As downloaded: possibly in subfolders; other CSVs and an earlier merge are not shards.
    write_csv(shards / "shard-ubuntu-latest-2.csv", rows[:3])
    write_csv(shards / "shard-ubuntu-latest-1.csv", rows[3:6])
    write_csv(shards / "arm" / "shard-ubuntu-24.04-arm-1.csv", rows[6:])
    write_csv(shards / "notes.csv", [row(MACHINE_A, hostname="not-a-shard")])
    out = shards / "merged"
    write_csv(out / "shard-stale-1.csv", [row(MACHINE_A, hostname="stale")])
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier steps\n")
    result = run_merge("--no-plots", shards, out, env={**stand_in, "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.returncode == 0, result.stderr
    [call] = calls(stand_in["STUB_LOG"])
    assert call["args"] == ["merge", str(shards / "arm/shard-ubuntu-24.04-arm-1.csv"),
                            str(shards / "shard-ubuntu-latest-1.csv"), str(shards / "shard-ubuntu-latest-2.csv"),
                            "--output", str(out / "all.csv")]
    with (out / "all.csv").open(newline="") as handle:
        merged = list(csv.DictReader(handle))
    assert len(merged) == len(rows)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## attnbench fleet sweep: 2 machines, 8 rows")
    assert step_summary.read_text() == "earlier steps\n" + summary
    assert not (out / "plots").exists()


def test_fleet_merge_without_shards_says_so(tmp_path, stand_in):
    (tmp_path / "shards").mkdir()
    result = run_merge(tmp_path / "shards", tmp_path / "out", env=stand_in)
    assert result.returncode == 2 and calls(stand_in["STUB_LOG"]) == []
    assert result.stderr == f"fleet-merge.sh: no shard-*.csv under {tmp_path / 'shards'} (did every sweep job fail?)\n"


def test_fleet_merge_stops_when_merge_rejects_the_shards(tmp_path, stand_in):
    shards = tmp_path / "shards"
    write_csv(shards / "shard-a-1.csv", [row(MACHINE_A)])
    write_csv(shards / "shard-a-2.csv", [row(MACHINE_A)], COLUMNS[:-1])
    result = run_merge("--no-plots", shards, tmp_path / "out", env=stand_in)
    assert result.returncode == 2 and "has another header" in result.stderr
    assert not (tmp_path / "out" / "summary.md").exists()


@pytest.mark.parametrize("args", [[], ["only-one"], ["--plots", "a", "b"], ["missing-dir", "out"]])
def test_fleet_merge_usage_errors(tmp_path, stand_in, args):
    result = run_merge(*args, env=stand_in, cwd=tmp_path)
    assert result.returncode == 2 and "usage: scripts/fleet-merge.sh" in result.stderr
    assert calls(stand_in["STUB_LOG"]) == []


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
    assert result.returncode == 0 and call["args"][-5:] == ["--shard", "5/8", "--resume", "--output", "results/shard-5.csv"]


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


# --- end to end with the real binary ---------------------------------------------------------------------


def sharding_binary():
    """The attnbench of ATTNBENCH_BINARY, or a skip saying why it cannot run this test."""
    path = os.environ.get("ATTNBENCH_BINARY")
    if not path:
        pytest.skip("ATTNBENCH_BINARY is not set: this test runs the real release binary (scripts/test sets it)")
    if not Path(path).is_file():
        pytest.skip(f"ATTNBENCH_BINARY={path} does not exist")
    root_help = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60).stdout
    if not re.search(r"^\s+merge\s", root_help, re.M):
        pytest.skip(f"{path} has no `merge` subcommand yet")
    sweep_help = subprocess.run([path, "sweep", "--help"], capture_output=True, text=True, timeout=60).stdout
    if "--shard" not in sweep_help:
        pytest.skip(f"{path} has no `sweep --shard` yet")
    return path


CONFIGURATION = list(SCHEMA["configuration_key"])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_two_local_shards_merge_summarize_and_plot(tmp_path):
    binary = sharding_binary()
    grid = ["sweep", "--preset", "quick", "--variants", "flash2", "--seq-len", "256"]
    shards = tmp_path / "shards"
    shards.mkdir()
    for index in (1, 2):
        result = subprocess.run([binary, *grid, "--shard", f"{index}/2", "--output", str(shards / f"shard-local-{index}.csv")],
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    whole = subprocess.run([binary, *grid, "--output", str(tmp_path / "whole.csv")], capture_output=True, text=True,
                           timeout=600)
    assert whole.returncode == 0, whole.stderr

    key = lambda r: tuple(r[c] for c in CONFIGURATION)
    parts = [read_csv(shards / f"shard-local-{index}.csv") for index in (1, 2)]
    assert all(parts), "each shard of this grid has at least one configuration"
    assert not {key(r) for r in parts[0]} & {key(r) for r in parts[1]}, "shards overlap"
    assert sorted(key(r) for part in parts for r in part) == sorted(key(r) for r in read_csv(tmp_path / "whole.csv"))

    out = tmp_path / "out"
    result = subprocess.run(["bash", str(MERGE), str(shards), str(out)], capture_output=True, text=True, timeout=900,
                            env={**os.environ, "ATTNBENCH": binary, "PYTHON": sys.executable,
                                 "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")})
    assert result.returncode == 0, result.stderr
    lines = (out / "all.csv").read_text().splitlines()
    assert lines[0].split(",") == COLUMNS and sum(line.startswith("schema_version,") for line in lines) == 1
    merged = read_csv(out / "all.csv")
    assert sorted(map(key, merged)) == sorted(key(r) for part in parts for r in part)
    assert {r["schema_version"] for r in merged} == {str(SCHEMA["schema_version"])}
    summary = (out / "summary.md").read_text()
    assert f"### {merged[0]['cpu_model']}" in summary and "| flash2 |" in summary
    assert (tmp_path / "step-summary.md").read_text() == summary
    assert list((out / "plots").glob("*.png")), "no figure drawn"

    # Unusable input: merge exits 2 with one line, and so does the script.
    (shards / "shard-local-3.csv").write_text("not,a,sweep\n1,2,3\n")
    result = subprocess.run(["bash", str(MERGE), "--no-plots", str(shards), str(tmp_path / "again")],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "ATTNBENCH": binary})
    assert result.returncode == 2, result.stderr
    from_merge = [line for line in result.stderr.splitlines() if not line.startswith(("fleet-merge.sh: ", "  "))]
    assert len(from_merge) == 1 and "error" in from_merge[0].lower(), result.stderr
