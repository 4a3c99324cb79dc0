"""scripts/frameworks.py's tiled NumPy loop against the reference on ragged shapes, the online
softmax step, the block choice, the error check, the ceilings read from attnbench rows, the
summary, and a run against a stand-in attnbench; and the constants it shares with attnbench.
"""
import json
import csv
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import frameworks  # noqa: E402

SCRIPT = ROOT / "scripts" / "frameworks.py"


def full_reference(q, k, v, causal):
    batch, heads, n, _ = q.shape
    out = np.empty((batch, heads, n, q.shape[-1]))
    for b in range(batch):
        for h in range(heads):
            rows = frameworks.reference_rows(np, q, k, v, causal, range(n), (b, h))
            out[b, h] = np.stack([rows[r] for r in range(n)])
    return out


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n, block_q, block_kv", [
    (777, 128, 256), (777, 256, 128), (777, 64, 64), (300, 512, 512), (300, 512, 128), (1, 128, 128),
    (256, 128, 128), (130, 128, 128),
])
def test_tiled_loop_gives_the_reference_on_ragged_shapes(n, block_q, block_kv, causal):
    # The NumPy twin runs the loop of flash_tiled_jax (same key_block_range, block_mask and
    # online_softmax_step) in float64, so it must match the float64 reference to rounding.
    q, k, v = (x.astype(np.float64) for x in frameworks.inputs(np, 2, 2, n, 16, seed=n))
    out = frameworks.flash_tiled_numpy(np, q, k, v, causal, block_q, block_kv)
    expected = full_reference(q, k, v, causal)
    index = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
    assert np.allclose(out, expected, rtol=0, atol=1e-12), \
        f"N={n} Bq={block_q} Bk={block_kv} causal={causal}: at {index} expected {expected[index]}, got {out[index]}"


def test_online_softmax_step_equals_softmax_of_the_blocks_seen():
    # Queries grouped as (B, H_kv, G, rows, d): both query heads of the group read the one K/V head.
    rng = np.random.default_rng(3)
    q = rng.standard_normal((1, 1, 2, 4, 8))
    k, v = (rng.standard_normal((1, 1, 10, 8)) for _ in range(2))
    state = (np.zeros((1, 1, 2, 4, 8)), np.full((1, 1, 2, 4), -np.inf), np.zeros((1, 1, 2, 4)))
    for keys in (slice(0, 3), slice(3, 10)):
        state = frameworks.online_softmax_step(np, q, k[:, :, keys], v[:, :, keys], state)
    o, m, l = state
    for g in range(2):
        s = q[0, 0, g] @ k[0, 0].T
        p = np.exp(s - s.max(-1, keepdims=True))
        np.testing.assert_allclose(o[0, 0, g] / l[0, 0, g, :, None], (p / p.sum(-1, keepdims=True)) @ v[0, 0],
                                   atol=1e-12)
        np.testing.assert_allclose(m[0, 0, g], s.max(-1), atol=0)


def test_online_softmax_step_keeps_a_row_that_sees_nothing_yet_finite():
    # A sliding window can hide a whole key block from some rows: m stays -inf, nothing turns NaN.
    q, k, v = np.ones((1, 1, 1, 2, 4)), np.ones((1, 1, 3, 4)), np.ones((1, 1, 3, 4))
    state = (np.zeros((1, 1, 1, 2, 4)), np.full((1, 1, 1, 2), -np.inf), np.zeros((1, 1, 1, 2)))
    visible = np.array([[True, True, True], [False, False, False]])
    o, m, l = frameworks.online_softmax_step(np, q, k, v, state, visible)
    assert np.all(np.isfinite(o)) and l[0, 0, 0].tolist() == [3.0, 0.0] and m[0, 0, 0, 1] == -np.inf


# ---- Block candidates and the best-of choice --------------------------------------------------

def test_block_candidates():
    grid = [128, 256, 512]
    tiled = frameworks.block_candidates("jax", "flash-tiled", 4096, grid, grid, batch=1, heads=8, threads=1)
    assert tiled == [(bq, bk, 1) for bq in grid for bk in grid]
    # With 2 threads each pair is also tried split over 2 devices (8 heads split evenly).
    split = frameworks.block_candidates("jax", "flash-tiled", 4096, grid, grid, batch=1, heads=8, threads=2)
    assert split == tiled + [(bq, bk, 2) for bq in grid for bk in grid]
    # Blocks longer than N are N, and duplicates go.
    assert frameworks.block_candidates("jax", "flash-tiled", 200, grid, grid) == [
        (128, 128, 1), (128, 200, 1), (200, 128, 1), (200, 200, 1)]
    # Whole-query: block_q = N, key blocks must divide N.
    assert frameworks.block_candidates("jax", "flash-wholequery", 4096, grid, grid) == [
        (4096, 128, 1), (4096, 256, 1), (4096, 512, 1)]
    assert frameworks.block_candidates("jax", "flash-wholequery", 384, grid, grid) == [(384, 128, 1), (384, 384, 1)]
    with pytest.raises(ValueError, match="dividing seq_len 777"):
        frameworks.block_candidates("jax", "flash-wholequery", 777, grid, grid)
    for framework, variant in frameworks.PEERS:
        if variant not in ("flash-tiled", "flash-tiled-bf16", "flash-wholequery"):
            assert frameworks.block_candidates(framework, variant, 4096, grid, grid, 1, 8, 2) == [(0, 0, 1)]


def test_split_axis():
    assert frameworks.split_axis(1, 8, 2) == 1
    assert frameworks.split_axis(2, 3, 2) == 0
    assert frameworks.split_axis(1, 3, 2) is None
    assert frameworks.split_axis(4, 8, 1) is None


def test_choose_best_takes_the_fastest_correct_trial():
    trials = [((128, 128, 1), 0.30, 1e-8), ((256, 256, 1), 0.10, 1e-2), ((256, 512, 1), 0.20, 1e-8),
              ((512, 512, 1), 0.20, 1e-8)]
    assert frameworks.choose_best(trials)[0] == (256, 512, 1)  # 0.10 is wrong; of the ties, the first
    assert frameworks.choose_best([((1, 1, 1), 0.5, 1.0), ((2, 2, 1), 0.4, 1.0)])[0] == (2, 2, 1)
    assert frameworks.format_block_search(trials) == \
        "128x128:0.3 256x256:0.1! 256x512:0.2 512x512:0.2"
    assert frameworks.format_block_search([((128, 256, 2), 0.125, 0.0), ((0, 0, 1), 1, 0)]) == \
        "128x256/2:0.125 0x0:1"
    assert frameworks.format_block_search(trials[:1]) == ""


# ---- Error check, ceilings, rows, summary ------------------------------------------------------

def test_max_abs_error_checks_the_first_and_last_slice():
    q, k, v = frameworks.inputs(np, 2, 3, 9, 4, seed=11)
    exact = full_reference(q, k, v, True)
    assert frameworks.max_abs_error(np, exact, q, k, v, True) < 1e-15
    assert frameworks.check_points(2, 3, 9) == ([(0, 0), (1, 2)], [0, 4, 8])
    wrong = exact.copy()
    wrong[1, 2, 8, 3] += 0.5  # last slice, last row
    assert frameworks.max_abs_error(np, wrong, q, k, v, True) == pytest.approx(0.5)
    wrong[0, 0, 0, 0] = np.nan
    assert frameworks.max_abs_error(np, wrong, q, k, v, True) == math.inf


V2_ROW = {"variant": "flash2", "causal": "true", "threads": "2", "block_q": "64", "block_kv": "256",
          "repetitions": "5", "wall_time_median_s": "0.2", "wall_time_min_s": "0.19", "gflops": "100",
          "max_abs_error": "1e-8", "status": "ok", "attnbench_version": "0.2.0",
          "fma_peak_gflops": "400", "sgemm_peak_gflops": "200", "gemm_roofline_gflops": "150"}
V1_ROW = {"variant": "naive", "causal": "true", "threads": "2", "block_q": "", "block_kv": "",
          "repetitions": "5", "wall_time_median_s": "0.4", "wall_time_min_s": "0.39", "gflops": "50",
          "max_abs_error": "1e-8", "status": "ok", "attnbench_version": "0.1.0", "sgemm_gflops": "77"}


def test_ceilings_read_schema_2_and_fall_back_to_schema_1():
    assert frameworks.ceilings([V2_ROW, dict(V2_ROW, fma_peak_gflops="420", sgemm_peak_gflops="")]) == {
        "fma_peak_gflops": "410", "sgemm_peak_gflops": "200", "gemm_roofline_gflops": "150", "memory_read_gbps": ""}
    assert frameworks.ceilings([V1_ROW]) == {
        "fma_peak_gflops": "", "sgemm_peak_gflops": "", "gemm_roofline_gflops": "77", "memory_read_gbps": ""}
    assert frameworks.ceilings([]) == {"fma_peak_gflops": "", "sgemm_peak_gflops": "", "gemm_roofline_gflops": "",
                                       "memory_read_gbps": ""}
    # A decode row's memory-read bandwidth is the ceiling of the K/V read rate.
    decode = dict(V2_ROW, variant="decode", memory_read_gbps="20")
    row = frameworks.with_efficiencies({"gflops": "1", "kv_read_gbps": "5"}, frameworks.ceilings([decode]))
    assert (row["memory_read_gbps"], row["bandwidth_efficiency"]) == ("20", "0.25")


def test_rows_carry_efficiencies_against_the_ceilings():
    limits = frameworks.ceilings([V2_ROW])
    row = frameworks.with_efficiencies({"gflops": "120"}, limits)
    assert (row["fma_peak_gflops"], row["sgemm_peak_gflops"]) == ("400", "200")
    assert (row["peak_efficiency"], row["sgemm_efficiency"]) == ("0.3", "0.6")
    old = frameworks.with_efficiencies({"gflops": "120"}, frameworks.ceilings([V1_ROW]))
    assert (old["peak_efficiency"], old["sgemm_efficiency"], old["gemm_roofline_gflops"]) == ("", "", "77")
    base = {"round": 0, "batch": 1, "heads": 8, "seq_len": 4096, "head_dim": 64, "threads": 2}
    a = frameworks.attnbench_output_row(V2_ROW, base)
    assert (a["framework"], a["framework_version"], a["variant"], a["block_q"], a["status"]) == (
        "attnbench", "0.2.0", "flash2", "64", "ok")
    assert set(frameworks.with_efficiencies(a, limits)) <= set(frameworks.COLUMNS)


def test_summary_table_spans_rounds_and_skips_failed_rows():
    base = {"seq_len": "4096", "head_dim": "64", "causal": "false", "threads": "1", "fma_peak_gflops": "",
            "sgemm_peak_gflops": "", "status": "ok"}
    rows = [dict(base, framework="jax", variant="flash-tiled", gflops="80.0", block_q="256", block_kv="512",
                 devices="1"),
            dict(base, framework="jax", variant="flash-tiled", gflops="84.04", block_q="256", block_kv="256",
                 devices="1"),
            dict(base, framework="pytorch", variant="sdpa-math", gflops="20", block_q="", block_kv="",
                 extra_peak_memory_bytes="536870912", path="sdpa_kernel(MATH)"),
            dict(base, framework="jax", variant="flash-tiled", gflops="150", block_q="512", block_kv="256",
                 devices="2", threads="2"),
            dict(base, framework="pytorch", variant="sdpa-flash", gflops="999", status="incorrect")]
    table = frameworks.summary_table(rows).splitlines()
    assert table[2] == "| 4096 | 64 | false | 1 | jax-flash-tiled | 80.0–84.0 | 256×256, 256×512 |  |  |  |  |"
    assert table[3] == "| 4096 | 64 | false | 1 | pytorch-sdpa-math | 20.0 |  |  |  | 512.0 | sdpa_kernel(MATH) |"
    assert table[4] == "| 4096 | 64 | false | 2 | jax-flash-tiled | 150.0 | 512×256 /2 |  |  |  |  |"
    assert len(table) == 5


def test_child_error_is_the_exception_line():
    stderr = ("Traceback (most recent call last):\n  File \"x\", line 1\nValueError: bad block\n"
              "--------------------\nFor simplicity, JAX has removed its internal frames.\n")
    assert frameworks.child_error(stderr) == "ValueError: bad block"
    assert frameworks.child_error("just this\n") == "just this"
    assert frameworks.child_error("") == ""


FAKE_ATTNBENCH = """#!/usr/bin/env python3
import csv, sys
a = dict(zip(sys.argv[2::2], sys.argv[3::2]))
row = {ROW!r}
w = csv.DictWriter(sys.stdout, fieldnames=list(row))
w.writeheader()
for variant in ("flash2", "naive"):
    w.writerow(dict(row, variant=variant, causal="true" if a["--causal"] == "on" else "false", threads=a["--threads"]))
"""


def run_beside_fake_attnbench(tmp_path, *options):
    """frameworks.py with the stand-in attnbench and one JAX peer on a tiny shape: (result, output path)."""
    binary = tmp_path / "attnbench"
    binary.write_text(FAKE_ATTNBENCH.replace("{ROW!r}", repr(V2_ROW)))
    binary.chmod(0o755)
    output = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(SCRIPT), "--seq-len", "16", "--heads", "2", "--threads", "1",
                             "--rounds", "1", "--repetitions", "1", "--peers", "jax-plain", *options,
                             "--attnbench", str(binary), "--output", str(output)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result, output


def test_attnbench_rows_run_first_and_lend_their_ceilings(tmp_path):
    # The peer child needs JAX; without it the peer fails with one line, a row says so, and the run goes on.
    result, output = run_beside_fake_attnbench(tmp_path)
    rows = list(csv.DictReader(output.open()))
    assert [r["variant"] for r in rows[:2]] == ["flash2", "naive"]
    for r in rows:
        assert (r["fma_peak_gflops"], r["sgemm_peak_gflops"], r["gemm_roofline_gflops"]) == ("400", "200", "150")
    assert rows[0]["peak_efficiency"] == "0.25" and rows[0]["sgemm_efficiency"] == "0.5"
    assert "| 16 | 64 | false | 1 | attnbench-flash2 | 100.0 | 64×256 | 400 | 200 |" in result.stderr
    if rows[-1]["status"].startswith("missing"):
        assert rows[-1]["status"] == "missing: jax" and rows[-1]["variant"] == "plain"
        assert "jax-plain H2/2 Nq=16 N=16" in result.stderr and "Traceback" not in result.stderr


def test_shared_constants_come_from_attnbench():
    constants = json.loads((ROOT / "schema" / "constants.json").read_text())
    assert sorted(constants) == [
        "correctness_tolerance", "correctness_tolerance_bf16", "correctness_tolerance_f16", "decode_max_query_length",
        "flops_per_visible_score"]
    assert frameworks.ERROR_TOLERANCE == constants["correctness_tolerance"]
    assert frameworks.useful_flops(1, 1, 3, 2, False) == constants["flops_per_visible_score"] * 9 * 2


def test_the_plots_decode_cutoff_is_attnbenchs():
    from attnplot import selection
    constants = json.loads((ROOT / "schema" / "constants.json").read_text())
    assert selection.DECODE_MAX_QUERY_ROWS == constants["decode_max_query_length"]


def test_attnbench_schema_output_holds_attnbenchs_rows_and_peer_rows(tmp_path):
    _, output = run_beside_fake_attnbench(tmp_path, "--schema", "attnbench")
    columns = [c["name"] for c in json.loads((ROOT / "schema" / "columns.json").read_text())["columns"]]
    with output.open() as handle:
        assert next(csv.reader(handle)) == columns
    rows = list(csv.DictReader(output.open()))
    assert [r["variant"] for r in rows[:2]] == ["flash2", "naive"]
    assert rows[-1]["kind"] == "peer" and rows[-1]["variant"] == "jax-plain"
