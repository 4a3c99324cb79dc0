#!/usr/bin/env python3
"""Print the CSV column table of README.md from schema/columns.json, the schema's one source.

    python3 scripts/schema_table.py      # paste between the README's column-table markers

scripts/tests/test_schema_table.py fails when README.md's table differs from this output.
"""
import json
import pathlib

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "schema" / "columns.json"


def table(schema_path=SCHEMA):
    doc = json.loads(pathlib.Path(schema_path).read_text())
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    for column in doc["columns"]:
        meaning = column["description"].replace("|", "\\|")
        lines.append(f"| `{column['name']}` | {column['unit']} | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
