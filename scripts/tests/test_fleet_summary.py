"""Checks of scripts/fleet_summary.py on a synthetic two-machine merged CSV."""

import re
import subprocess
import sys

import pytest

from fleet_support import COLUMNS, MACHINE_A, SUMMARY, row, two_machine_rows, write_csv


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
