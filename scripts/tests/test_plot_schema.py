"""Tests of the schema side of the attnplot package: the columns of schema/columns.json, the types
of loaded cells, and how scripts/plot.py treats a CSV of another schema version."""

import csv
import json
from pathlib import Path

import pytest

from plot_support import (COLUMN_NAMES, COLUMNS_JSON, SAMPLE, SCHEMA_DOCUMENT, SCHEMA_VERSION, assert_clean_failure,
                          make_row,
                          read_sample, run_plot, write_csv)
from attnplot import schema as schema_module  # scripts/ is on sys.path: plot_support puts it there
from attnplot.schema import InputError, Schema, load_csv


def test_sample_fixture_has_the_schema_header():
    fields, rows = read_sample()
    assert fields == COLUMN_NAMES, "fixture header is not the column order of schema/columns.json"
    assert rows and {r["schema_version"] for r in rows} == {str(SCHEMA_DOCUMENT["schema_version"])}
    assert {r["kind"] for r in rows} == {"time", "maxlen"}


def test_schema_path_is_the_repository_columns_json():
    assert Path(schema_module.SCHEMA_PATH) == COLUMNS_JSON
    loaded = schema_module.current_schema()
    assert loaded.version == SCHEMA_DOCUMENT["schema_version"] == 4
    assert list(loaded.column_names) == COLUMN_NAMES
    assert list(loaded.machine_key) == SCHEMA_DOCUMENT["machine_key"]


def test_loaded_values_have_the_types_of_the_schema_file():
    python_types = {"int": int, "float": float, "bool": bool, "str": str}
    _, rows = load_csv(str(SAMPLE))
    checked = set()
    for column in SCHEMA_DOCUMENT["columns"]:
        for row in rows:
            if row.get(column["name"]) is not None:
                assert type(row[column["name"]]) is python_types[column["type"]], column["name"]
                checked.add(column["name"])
    assert {"gflops", "fma_peak_gflops", "kv_heads", "causal", "cpu_vector_bits"} <= checked


def test_types_follow_an_edited_schema_file(tmp_path):
    """No second column list: retyping a column in the file retypes the loaded cell."""
    document = json.loads(COLUMNS_JSON.read_text(encoding="utf-8"))
    for column in document["columns"]:
        if column["name"] == "heads":
            column["type"] = "float"
        if column["name"] == "seed":
            column["type"] = "str"
    edited = tmp_path / "columns.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    loaded = Schema.load(str(edited))
    assert loaded.convert("heads", "8") == 8.0 and type(loaded.convert("heads", "8")) is float
    assert loaded.convert("seed", "42") == "42"
    assert loaded.convert("kv_heads", "x") is None and loaded.convert("kv_heads", "") is None


def test_unreadable_schema_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="columns.json"):
        Schema.load(str(tmp_path / "columns.json"))


def test_schema_1_csv_is_refused_with_one_line(tmp_path):
    fields, rows = read_sample()
    old_names = {"gemm_roofline_gflops": "sgemm_gflops", "gemm_roofline_efficiency": "efficiency"}
    old = tmp_path / "old-sweep.csv"
    with old.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[old_names.get(f, f) for f in fields])
        writer.writeheader()
        for row in rows:
            writer.writerow({old_names.get(k, k): ("1" if k == "schema_version" else v) for k, v in row.items()})
    result = run_plot(old, "--output-dir", tmp_path / "plots")
    assert result.returncode == 2
    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "old-sweep.csv" in lines[0] and "schema_version 1" in lines[0]
    assert "re-run the sweep" in lines[0]
    assert not (tmp_path / "plots").exists() or not list((tmp_path / "plots").iterdir())


def test_newer_schema_warns_and_plots(tmp_path):
    newer = write_csv(tmp_path / "newer.csv", [make_row(schema_version=SCHEMA_VERSION + 1, seq=s) for s in (256, 512)])
    result = run_plot(newer, "--output-dir", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "warning: " in result.stderr and f"schema_version [{SCHEMA_VERSION + 1}]" in result.stderr
    assert_clean_failure(result)
