"""Peer rows written in attnbench's schema: every column of schema/columns.json, kind `peer`, the
peer's name as the variant, the runtime and its path in the message, unknown statuses as errors."""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from peers import schema_rows  # noqa: E402

PEER = {
    "round": "1", "framework": "openvino", "framework_version": "2026.4.1", "variant": "sdpa-bf16",
    "batch": "1", "heads": "8", "seq_len": "4096", "head_dim": "64", "causal": "on", "threads": "2",
    "block_q": "", "block_kv": "", "repetitions": "7", "wall_time_median_s": "0.01", "wall_time_min_s": "0.009",
    "gflops": "100", "max_abs_error": "0.001", "status": "ok", "extra_peak_memory_bytes": "4096",
    "path": "INFERENCE_PRECISION_HINT bf16", "cpu_model": "AMD EPYC", "date_utc": "2026-12-02T13:00:00Z",
}


def test_every_attnbench_column_in_order():
    columns = [c["name"] for c in json.loads((ROOT / "schema" / "columns.json").read_text())["columns"]]
    row = schema_rows.attnbench_row(PEER, seed=5)
    assert list(row) == columns
    assert row["schema_version"] == str(json.loads((ROOT / "schema" / "columns.json").read_text())["schema_version"])


def test_peer_row_values():
    row = schema_rows.attnbench_row(PEER)
    assert (row["kind"], row["variant"], row["causal"], row["seq_len_q"], row["seq_len_kv"]) == (
        "peer", "openvino-sdpa-bf16", "true", "4096", "4096")
    assert row["peak_memory_bytes"] == "4096" and row["kv_heads"] == "8" and row["status"] == "ok"
    assert row["message"] == "openvino 2026.4.1; INFERENCE_PRECISION_HINT bf16"


def test_grouped_decode_rows_keep_their_shape_samples_and_rates():
    decode = dict(PEER, model="llama-3-8b", heads="32", kv_heads="8", seq_len_q="1", seq_len="16384", window="",
                  wall_time_median_s="0.02", wall_time_iqr_s="0.004", wall_times_s="0.02 0.019 0.024",
                  kv_bytes="134217728", kv_read_gbps="6.711", memory_read_gbps="20", bandwidth_efficiency="0.3356")
    row = schema_rows.attnbench_row(decode, seed=24301, warmup=2, min_repetitions=7, min_time=0.0)
    assert (row["model"], row["heads"], row["kv_heads"], row["seq_len_q"], row["seq_len_kv"], row["window"]) == (
        "llama-3-8b", "32", "8", "1", "16384", "")
    assert (row["wall_times_s"], row["kv_bytes"], row["kv_read_gbps"], row["bandwidth_efficiency"]) == (
        "0.02 0.019 0.024", "134217728", "6.711", "0.3356")
    assert (row["wall_time_iqr_over_median"], row["noisy"]) == ("0.2", "true")
    assert (row["warmup"], row["min_repetitions"], row["seed"]) == ("2", "7", "24301")
    windowed = schema_rows.attnbench_row(dict(PEER, window=4096))
    assert windowed["window"] == "4096"


def test_a_status_attnbench_does_not_know_is_an_error_that_keeps_its_reason():
    row = schema_rows.attnbench_row(dict(PEER, status="missing: openvino"))
    assert row["status"] == "error" and row["message"].endswith("missing: openvino")
    unsupported = schema_rows.attnbench_row(dict(PEER, status="unsupported: sliding window", path=""))
    assert unsupported["status"] == "error"
    assert unsupported["message"] == "openvino 2026.4.1; unsupported: sliding window"


def test_attnbench_merges_and_compares_peer_rows(tmp_path):
    import csv
    import os
    import subprocess

    binary = os.environ.get("ATTNBENCH_BINARY") or str(ROOT / ".build" / "release" / "attnbench")
    if not os.access(binary, os.X_OK):
        import pytest
        pytest.skip("no attnbench binary (scripts/test builds one and sets ATTNBENCH_BINARY)")
    rows = [schema_rows.attnbench_row(PEER), schema_rows.attnbench_row(dict(PEER, variant="sdpa-f32"))]
    path = tmp_path / "peers.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    merged = subprocess.run([binary, "merge", str(path), "--output", str(tmp_path / "all.csv")],
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stderr
    compared = subprocess.run([binary, "compare", str(path), str(tmp_path / "all.csv"), "--format", "csv"],
                              capture_output=True, text=True)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert compared.stdout.count("openvino-sdpa") == 2


def test_attnbench_compare_tests_peer_samples(tmp_path):
    # Every timed call is in wall_times_s, so compare's Mann-Whitney U sees a peer that got twice as slow.
    import csv
    import os
    import subprocess

    binary = os.environ.get("ATTNBENCH_BINARY") or str(ROOT / ".build" / "release" / "attnbench")
    if not os.access(binary, os.X_OK):
        import pytest
        pytest.skip("no attnbench binary (scripts/test builds one and sets ATTNBENCH_BINARY)")
    fast = dict(PEER, kv_heads="2", seq_len_q="1", wall_time_median_s="0.01", wall_time_iqr_s="0.0002",
                wall_times_s="0.01 0.0101 0.0099 0.0102 0.0098 0.01 0.0103")
    slow = dict(fast, wall_time_median_s="0.02", wall_times_s="0.02 0.0201 0.0199 0.0202 0.0198 0.02 0.0203")
    paths = []
    for name, peer in (("baseline.csv", fast), ("current.csv", slow)):
        row = schema_rows.attnbench_row(peer, seed=24301, warmup=2, min_repetitions=7, min_time=0)
        paths.append(tmp_path / name)
        with open(paths[-1], "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
            writer.writerow(row)
    compared = subprocess.run([binary, "compare", *map(str, paths), "--format", "csv"], capture_output=True, text=True)
    assert compared.returncode == 1, compared.stdout + compared.stderr  # 1: a regression found
    verdicts = list(csv.DictReader(compared.stdout.splitlines()))
    assert [(v["verdict"], v["time_ratio"]) for v in verdicts] == [("regression", "2.000")]
    assert float(verdicts[0]["p_value"]) < 0.01


def test_a_peer_rows_types_come_from_its_variant_name():
    from peers.schema_rows import variant_types

    assert variant_types("sdpa-flash-bf16") == ("bf16", "bf16")
    assert variant_types("flash-attn-kv-q8_0") == ("f32", "q8_0")
    assert variant_types("fused-f16-kv-q8_0") == ("f16", "q8_0")
    assert variant_types("sdpa-f32") == variant_types("mha") == ("f32", "f32")
