"""Shared pieces of the fleet tests (test_fleet*.py): the paths of the sharded-sweep tooling, the
fleet.yml inputs the tests plan with, and synthetic merged CSVs of two machines with the header of
schema/columns.json."""

import csv
import json

from workflow_support import REPO, WORKFLOWS

FLEET = WORKFLOWS / "fleet.yml"
SUMMARY = REPO / "scripts" / "fleet_summary.py"
MERGE = REPO / "scripts" / "fleet-merge.sh"
SWEEP_SBATCH = REPO / "scripts" / "slurm" / "sweep.sbatch"
MERGE_SBATCH = REPO / "scripts" / "slurm" / "merge.sbatch"
SCHEMA = json.loads((REPO / "schema" / "columns.json").read_text(encoding="utf-8"))
COLUMNS = [column["name"] for column in SCHEMA["columns"]]

INPUTS = {"preset": "ci", "sweep_args": "", "runners": '["ubuntu-latest","ubuntu-24.04-arm"]',
          "shards": 3, "timeout_minutes": 120}


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
