"""The layer tables (scripts/layer_table.py, attnplot.layertable): per model, phase and thread count
the length from which attention is half the layer, the speed-ups over naive of the attention and of
the layer with the surviving fraction, and the decode time per token.  Standard library only."""

import subprocess
import sys

import layer_plot_support as support
from plot_support import REPO, make_row, write_csv
from attnplot.layertable import markdown, percent, whole_percent
from attnplot.schema import Dataset

TABLE = REPO / "scripts" / "layer_table.py"


def text(tmp_path):
    return markdown(Dataset([str(support.write(tmp_path / "layer.csv"))]).rows)


def test_share_table_names_the_half_way_length(tmp_path):
    found = text(tmp_path)
    assert "| llama-3-8b | prefill | 2 | naive | ≈ 1k (measured 2k) | 512: 25% · 2k: 75% · 8k: oom |" in found
    assert "| llama-3-8b | prefill | 2 | flash2 | 2k | 512: 14% · 2k: 50% · 8k: 67% |" in found
    assert "| llama-3-8b | decode · Nq 1 | 2 | naive | ≤ 512 |" in found
    assert "| llama-3-8b | decode · Nq 1 | 2 | fused | > 2k (8k: oom) | 512: 10% · 2k: 20% · 8k: oom |" in found
    assert "| llama-3-8b | prefill | 1 | naive | ≤ 512 | 512: 90% |" in found  # every thread count


def test_speedup_table_and_surviving_fraction(tmp_path):
    found = text(tmp_path)
    assert "| llama-3-8b | prefill | 2 | 512 | flash2 | 2.00× | 1.14× | 14% | 1.00 |" in found
    assert "| llama-3-8b | prefill | 2 | 2k | flash2 | 3.00× | 2.00× | 50% | 1.00 |" in found
    assert "| llama-3-8b | prefill | 2 | 2k | fused | 4.00× | 2.00× | 33% | 0.80 |" in found  # 0.2 / 0.25
    assert "| llama-3-8b | prefill | 2 | 512 | fused | 1.00× | 1.00× |  | 1.00 |" in found
    assert "| llama-3-8b | prefill | 2 | 8k | flash2 | — (naive: oom) | — |  |  |" in found
    assert "| llama-3-8b | decode · Nq 1 | 2 | 8k | fused | — (oom) | — |  |  |" in found


def test_percentages_keep_a_decimal_when_small_and_drop_a_negative_zero():
    assert [percent(v) for v in (0.123, 0.0042, None)] == ["12%", "0.4%", "—"]
    assert [whole_percent(v) for v in (1 / 3, -0.22, -0.004)] == ["33%", "-22%", "0%"]


def test_token_time_per_variant_on_decode_rows(tmp_path):
    found = text(tmp_path)
    assert "| model | phase | threads | KV length | naive | flash2 | fused |" in found
    assert "| llama-3-8b | decode · Nq 1 | 2 | 8k | 420 ms | 395 ms | oom |" in found


def run_table(*args):
    return subprocess.run([sys.executable, str(TABLE), *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_command_prints_the_tables(tmp_path):
    result = run_table(support.write(tmp_path / "layer.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Attention's share of the layer")
    assert "| model | phase | threads | length | variant | attention speed-up |" in result.stdout


def test_command_without_layer_rows_exits_2(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [make_row(variant="naive")])
    result = run_table(plain)
    assert result.returncode == 2
    assert result.stderr.startswith("layer_table.py: no layer rows")
    assert run_table(tmp_path / "absent.csv").returncode == 2
