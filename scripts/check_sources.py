"""Checks the limits the sources keep: no line over 120 characters (Swift and Python) and no
Python file under scripts/ over 300 lines. Prints each breach and exits 1 if there is one."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_LINE_CHARACTERS = 120
MAX_PYTHON_FILE_LINES = 300
SKIPPED_PARTS = {".build", ".venv", "__pycache__"}


def sources(pattern):
    for path in sorted(ROOT.glob(pattern)):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & SKIPPED_PARTS and not any(p.startswith(".build") for p in parts):
            yield path


def breaches():
    paths = [*sources("Sources/**/*.swift"), *sources("Sources/**/*.c"), *sources("Sources/**/*.h"),
             *sources("Tests/**/*.swift"), *sources("Benchmarks/**/*.swift"),
             ROOT / "Package.swift", *sources("scripts/**/*.py")]
    for path in paths:
        lines = path.read_text(encoding="utf-8").split("\n")
        name = path.relative_to(ROOT)
        for number, line in enumerate(lines, 1):
            if len(line) > MAX_LINE_CHARACTERS:
                yield f"{name}:{number}: {len(line)} characters (at most {MAX_LINE_CHARACTERS})"
        if path.suffix == ".py" and len(lines) - 1 > MAX_PYTHON_FILE_LINES:
            yield f"{name}: {len(lines) - 1} lines (at most {MAX_PYTHON_FILE_LINES}); split it by concept"


def main():
    found = list(breaches())
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
