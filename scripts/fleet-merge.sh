#!/usr/bin/env bash
# Merges the shard CSVs of a sharded sweep (the fleet workflow's artifacts, or a Slurm array's
# results/), then writes a per-machine summary and draws the figures.
#
#   scripts/fleet-merge.sh [--no-plots] SHARD_DIR OUTPUT_DIR
#
# SHARD_DIR is searched, subfolders included, for shard-*.csv. OUTPUT_DIR receives
#   all.csv      every shard's rows under one header (attnbench merge checks the schema)
#   summary.md   one table per machine (scripts/fleet_summary.py)
#   plots/       the figures of scripts/plot.py (not with --no-plots)
# When GITHUB_STEP_SUMMARY is set, summary.md is appended to it.
#
# Environment: ATTNBENCH, the attnbench to run (default: scripts/attnbench, which builds the
# release binary when needed); PYTHON, the Python interpreter (default: python3).
# Exit status: 0 when all went well; 2 for a usage error or no shard file; otherwise the status of
# the step that failed (attnbench merge exits 2 for unusable input).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
attnbench="${ATTNBENCH:-$root/scripts/attnbench}"
python="${PYTHON:-python3}"

usage="usage: scripts/fleet-merge.sh [--no-plots] SHARD_DIR OUTPUT_DIR"
plots=1
if [ "${1:-}" = "--no-plots" ]; then
    plots=0
    shift
fi
if [ $# -ne 2 ]; then
    echo "$usage" >&2
    exit 2
fi
shard_dir="$1"
out_dir="$2"
if [ ! -d "$shard_dir" ]; then
    echo "fleet-merge.sh: $shard_dir is not a directory; $usage" >&2
    exit 2
fi

# Sorted, so that all.csv lists the shards in a repeatable order. The output folder is left out
# even when it lies inside SHARD_DIR, so a second merge does not read the first one's all.csv.
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
shard_dir="$(cd "$shard_dir" && pwd)"
shards=()
while IFS= read -r -d '' file; do
    shards+=("$file")
done < <(find "$shard_dir" -path "$out_dir" -prune -o -type f -name 'shard-*.csv' -print0 | LC_ALL=C sort -z)
if [ "${#shards[@]}" -eq 0 ]; then
    echo "fleet-merge.sh: no shard-*.csv under $shard_dir (did every sweep job fail?)" >&2
    exit 2
fi
echo "fleet-merge.sh: merging ${#shards[@]} shard file(s):" >&2
printf '  %s\n' "${shards[@]}" >&2

"$attnbench" merge "${shards[@]}" --output "$out_dir/all.csv"

"$python" "$root/scripts/fleet_summary.py" "$out_dir/all.csv" > "$out_dir/summary.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$out_dir/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi

if [ "$plots" -eq 1 ]; then
    "$python" "$root/scripts/plot.py" "$out_dir/all.csv" --output-dir "$out_dir/plots"
    echo "fleet-merge.sh: wrote all.csv, summary.md and plots/ in $out_dir" >&2
else
    echo "fleet-merge.sh: wrote all.csv and summary.md in $out_dir" >&2
fi
