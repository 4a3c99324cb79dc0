"""The attnbench CSV schema and loading.

schema/columns.json at the repository root is the one source of the column list: names, types
(int, float, bool, str), units, the configuration key and the machine key.  attnbench writes
exactly those columns; this module reads that file and types every cell from it, so no column
list is written out here.

Public: `current_schema()` (the parsed file, read once), `load_csv(path, source)`, `Dataset(paths)`, `InputError`
(an input the user can fix; its text is a one-line message) and `Skip` (a figure cannot be drawn).
Only the standard library is used: loading works without matplotlib.
"""

import csv
import json
import math
import os
import sys
from dataclasses import dataclass

SCHEMA_PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema", "columns.json"))
CONSTANTS_PATH = os.path.join(os.path.dirname(SCHEMA_PATH), "constants.json")


def shared_constants(path=CONSTANTS_PATH):
    """schema/constants.json: the numbers attnbench and the scripts share (written from attnbench)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# Columns a file must have before it is treated as attnbench output at all.
REQUIRED_IDENTITY_COLUMNS = ("schema_version", "variant")


class InputError(Exception):
    """An input file is missing, unreadable, not an attnbench CSV or of an old schema."""


class Skip(Exception):
    """A figure cannot be drawn from the data at hand."""


@dataclass(frozen=True)
class Schema:
    """schema/columns.json: the column list and the keys that identify a row."""

    version: int
    column_names: tuple
    column_types: dict  # column name -> "int" | "float" | "bool" | "str"
    units: dict  # column name -> unit ("" when none)
    statuses: tuple
    kinds: tuple
    variants: tuple
    configuration_key: tuple
    machine_key: tuple

    @classmethod
    def load(cls, path=SCHEMA_PATH):
        """Parse columns.json; raise InputError naming the file when it is unusable."""
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
            columns = document["columns"]
            types = {c["name"]: c["type"] for c in columns}
            unknown = sorted({t for t in types.values()} - set(_CONVERTERS))
            if unknown:
                raise ValueError(f"unknown column type {', '.join(unknown)}")
            return cls(
                version=int(document["schema_version"]),
                column_names=tuple(c["name"] for c in columns),
                column_types=types,
                units={c["name"]: c.get("unit", "") for c in columns},
                statuses=tuple(document["statuses"]),
                kinds=tuple(document["kinds"]),
                variants=tuple(document["variants"]),
                configuration_key=tuple(document["configuration_key"]),
                machine_key=tuple(document["machine_key"]),
            )
        except OSError as error:
            raise InputError(f"cannot read the CSV schema {path}: {error.strerror or error}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"the CSV schema {path} is malformed ({error})") from None

    def convert(self, name, text):
        """Typed value of one cell; None for an empty or unparsable cell (never raises)."""
        if text == "":
            return None
        return _CONVERTERS[self.column_types.get(name, "str")](text)


def _to_int(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _to_float(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_bool(text):
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


_CONVERTERS = {"int": _to_int, "float": _to_float, "bool": _to_bool, "str": lambda text: text}

_schema = None


def current_schema():
    """The schema of SCHEMA_PATH, read on first use."""
    global _schema
    if _schema is None:
        _schema = Schema.load()
    return _schema


def machine_of(row):
    """The row's machine: its values of the schema's machine_key (cpu_model, cpu_cores, ...)."""
    return tuple(row.get(k) for k in current_schema().machine_key)


def convert_row(raw, source):
    """A csv.DictReader row with typed values.

    Empty cells become None; numbers and booleans that do not parse become None too (a bad
    cell never aborts plotting); columns the schema does not list stay text.  `_source` names
    the file, `_machine` is the machine key and `_run` the pair (source, machine): one line
    style per run.
    """
    types = current_schema()
    row = {"_source": source}
    for key, value in raw.items():
        if key is None:  # surplus cells on a malformed line
            continue
        row[key] = types.convert(key, value.strip() if isinstance(value, str) else "")
    row["_machine"] = machine_of(row)
    row["_run"] = (source, row["_machine"])
    return row


def load_csv(path, source=None):
    """Read one attnbench CSV; return (columns, rows). Raise InputError with a one-line message.

    Rows of an older schema_version are refused (their columns mean other things); rows of a
    newer one are plotted as far as the known columns allow, with a warning.
    """
    current = current_schema().version
    source = source if source is not None else os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            reader.fieldnames = columns
            if not columns:
                raise InputError(f"{path}: empty file, not an attnbench CSV")
            missing = [c for c in REQUIRED_IDENTITY_COLUMNS if c not in columns]
            if missing:
                raise InputError(f"{path}: not an attnbench CSV (no {' / '.join(missing)} column)")
            rows = [convert_row(raw, source) for raw in reader]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (not UTF-8)") from None
    except csv.Error as error:
        raise InputError(f"{path}: malformed CSV ({error})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    versions = {r.get("schema_version") for r in rows} - {None}
    older = sorted(v for v in versions if v < current)
    if older:
        raise InputError(
            f"{path}: schema_version {'/'.join(map(str, older))} CSV, this plotter reads "
            f"schema_version {current}; re-run the sweep with this attnbench"
        )
    newer = sorted(v for v in versions if v > current)
    if newer:
        print(
            f"warning: {path}: schema_version {newer} is newer than this plotter knows "
            f"({current}); plotting what it can",
            file=sys.stderr,
        )
    return columns, rows


class Dataset:
    """All rows of all input files, with the union of their columns.

    `sources` are the files' legend labels; `runs` the distinct (source, machine) pairs in
    input order, one line style each.
    """

    def __init__(self, paths):
        self.sources = source_labels(paths)
        self.columns = set()
        self.rows = []
        for path, label in zip(paths, self.sources):
            columns, rows = load_csv(path, label)
            self.columns.update(columns)
            self.rows.extend(rows)
        self.runs = list(dict.fromkeys(r["_run"] for r in self.rows))
        self.machines = list(dict.fromkeys(r["_machine"] for r in self.rows))

    def require(self, *columns):
        """Raise Skip if any of the columns is absent from every input file."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise Skip(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def source_labels(paths):
    """Short, unique legend labels for the input files (basename sans .csv)."""
    labels = [os.path.splitext(os.path.basename(p))[0] or p for p in paths]
    if len(set(labels)) != len(labels):
        labels = [os.path.normpath(p) for p in paths]
    if len(set(labels)) != len(labels):
        labels = [f"{label} #{i + 1}" for i, label in enumerate(labels)]
    return labels


def print_table(program, paths, render, empty_message):
    """A table command's body: loads `paths`, writes `render(rows)` to stdout and returns 0; returns 2
    with one line on stderr when an input is unusable or `render` gives '' (`empty_message`)."""
    try:
        rows = Dataset(paths).rows
    except InputError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return 2
    text = render(rows)
    if not text:
        print(f"{program}: {empty_message}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0
