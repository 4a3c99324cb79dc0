"""schema/constants.json holds exactly the three numbers attnbench shares with the scripts, and
every script that needs one reads it from there: ab_sweep's decode cutoff, and `python3 -m peers`
runs the same command as scripts/frameworks.py."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import ab_sweep  # noqa: E402

CONSTANTS = json.loads((ROOT / "schema" / "constants.json").read_text())


def test_constants_file_holds_exactly_the_engines_numbers():
    assert sorted(CONSTANTS) == [
        "correctness_tolerance", "correctness_tolerance_bf16", "correctness_tolerance_f16", "decode_max_query_length",
        "flops_per_visible_score"]
    for name, value in CONSTANTS.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool), name
    assert isinstance(CONSTANTS["decode_max_query_length"], int)
    assert isinstance(CONSTANTS["flops_per_visible_score"], int)


def test_ab_sweep_runs_decode_only_up_to_attnbenchs_cutoff():
    cutoff = CONSTANTS["decode_max_query_length"]
    assert ab_sweep.DECODE_MAX_QUERY_LENGTH == cutoff
    lengths = f"{cutoff},{cutoff + 1}"
    assert [g[2] for g in ab_sweep.grid("decode", "4k", lengths)] == [str(cutoff)]


def test_python_m_peers_is_the_frameworks_command():
    def help_text(command, cwd):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
        done = subprocess.run(command + ["--help"], capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout.split("\n\n", 1)[1]  # without the usage line, which names the program

    assert help_text([sys.executable, "-m", "peers"], ROOT) == \
        help_text([sys.executable, str(ROOT / "scripts" / "frameworks.py")], ROOT)
