#!/usr/bin/env python3
"""Turns the fleet workflow's inputs into its job matrix: one job per (runner, shard).

    python3 scripts/fleet_plan.py --runners '["ubuntu-latest","ubuntu-24.04-arm"]' --shards 4

prints one line of JSON, {"include": [{"runner": ..., "label": ..., "shard": 1, "shards": 4}, ...]},
for `strategy.matrix: ${{ fromJSON(...) }}`. A runner is a label ("ubuntu-latest") or a list of
labels that one runner must all carry (["self-hosted", "linux", "perf"]); `label` is a file- and
artifact-safe name for it. Unusable input exits 2 with a one-line message on stderr.
"""

import argparse
import json
import re
import sys

# GitHub runs at most 256 jobs from one matrix.
MAX_JOBS = 256


class PlanError(Exception):
    """Input the plan cannot use; the message says what to change."""


def runner_label(runner):
    """A name for a runner that is safe in file and artifact names: labels joined by '-',
    anything but letters, digits, '.', '_' and '-' replaced by '-'."""
    labels = [runner] if isinstance(runner, str) else runner
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(labels)).strip("-.")


def plan(runners_json, shards):
    """The matrix for `runners_json` (a JSON list of runners) split into `shards` shards each."""
    try:
        runners = json.loads(runners_json)
    except json.JSONDecodeError as error:
        raise PlanError(
            f"runners must be a JSON list such as '[\"ubuntu-latest\"]', got {runners_json!r} ({error.msg})")
    if not isinstance(runners, list) or not runners:
        raise PlanError(f"runners must be a non-empty JSON list such as '[\"ubuntu-latest\"]', got {runners_json!r}")
    for runner in runners:
        is_label = isinstance(runner, str) and runner.strip()
        is_label_set = (isinstance(runner, list) and runner
                        and all(isinstance(label, str) and label.strip() for label in runner))
        if not (is_label or is_label_set):
            raise PlanError(f"each runner must be a label or a non-empty list of labels, got {json.dumps(runner)}")
    if not re.fullmatch(r"\s*[0-9]+\s*", str(shards)) or int(shards) < 1:
        raise PlanError(f"shards must be a whole number of at least 1, got {shards!r}")
    shard_count = int(shards)
    if len(runners) * shard_count > MAX_JOBS:
        raise PlanError(f"{len(runners)} runners x {shard_count} shards = {len(runners) * shard_count} jobs; "
                        f"GitHub runs at most {MAX_JOBS} jobs from one matrix: use fewer shards")
    labels = [runner_label(runner) for runner in runners]
    for runner, label in zip(runners, labels):
        if not label:
            raise PlanError(f"runner {json.dumps(runner)} has no letters or digits to name its files by")
        if labels.count(label) > 1:
            raise PlanError(f"two runners share the name {label!r}: list each runner once")
    return {"include": [
        {"runner": runner, "label": label, "shard": shard, "shards": shard_count}
        for runner, label in zip(runners, labels)
        for shard in range(1, shard_count + 1)
    ]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", required=True, help="JSON list of runner labels (or lists of labels)")
    parser.add_argument("--shards", required=True, help="shards per runner (1 or more)")
    args = parser.parse_args(argv)
    try:
        matrix = plan(args.runners, args.shards)
    except PlanError as error:
        print(f"fleet_plan.py: {error}", file=sys.stderr)
        return 2
    print(json.dumps(matrix, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
