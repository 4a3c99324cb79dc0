"""The shapes the peers measure, without any runtime: useful FLOPs and K/V bytes counted by hand for
decode, causal Nq < Nk, grouped-query and windowed shapes; the float64 reference's grouping and
bottom-right alignment against a brute-force loop; the key blocks the tiled loop visits and masks;
q8_0 dequantisation of a block worked out by hand; the option parsers."""
import math
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import frameworks  # noqa: E402
from frameworks import Shape  # noqa: E402


# ---- Useful FLOPs and K/V bytes, counted by hand --------------------------------------------

def test_useful_flops_of_a_decode_shape():
    # One query row sees all 10 keys (causal or not): 10 pairs per query head, 4·d FLOPs each.
    for causal in (False, True):
        shape = Shape(batch=2, heads=4, kv_heads=4, seq_len_q=1, seq_len=10, head_dim=8, causal=causal)
        assert shape.visible_pairs() == 10
        assert shape.useful_flops() == 4 * 8 * 2 * 4 * 10
    assert frameworks.useful_flops(2, 4, 10, 8, True, seq_len_q=1) == 2560


def test_useful_flops_of_a_causal_shape_with_fewer_queries_than_keys():
    # Nq = 3 rows are the last 3 of Nk = 5 positions: row i sees keys 0..i+2, so 3 + 4 + 5 = 12 pairs
    # (top-left alignment would count 1 + 2 + 3 = 6).
    shape = Shape(1, 2, 2, 3, 5, 4, True)
    assert [shape.key_range(i) for i in range(3)] == [(0, 3), (0, 4), (0, 5)]
    assert shape.visible_pairs() == 12 and shape.useful_flops() == 4 * 4 * 2 * 12
    assert Shape(1, 2, 2, 3, 5, 4, False).useful_flops() == 4 * 4 * 2 * 15


def test_useful_flops_count_query_heads_not_kv_heads():
    # H = 8 query heads share 2 K/V heads: the work is per query head; N = 4 causal has 10 pairs.
    gqa = Shape(1, 8, 2, 4, 4, 2, True)
    assert gqa.group == 4 and gqa.visible_pairs() == 10
    assert gqa.useful_flops() == 4 * 2 * 8 * 10 == Shape(1, 8, 8, 4, 4, 2, True).useful_flops()


def test_a_sliding_window_counts_only_its_keys():
    # W = 2, N = 6: row i sees keys i-1, i: 1 + 2·5 = 11 pairs; a decode row over 10 keys sees the last 4.
    assert Shape(1, 1, 1, 6, 6, 1, True, window=2).visible_pairs() == 11
    decode = Shape(1, 1, 1, 1, 10, 1, True, window=4)
    assert decode.key_range(0) == (6, 10) and decode.visible_pairs() == 4
    # At N <= W the window hides nothing: plain causal, and the path says so.
    wide = Shape(1, 1, 1, 6, 6, 1, True, window=6)
    assert wide.active_window is None and wide.visible_pairs() == 21 and wide.masking() == "causal"
    assert "window 6 >= 6 keys: it hides nothing" in wide.mask_note()


def test_kv_bytes_are_the_keys_read_at_the_stored_element_size():
    decode = Shape(1, 4, 2, 1, 10, 32, True)
    assert decode.kv_bytes(4) == 2 * 2 * 10 * 32 * 4 == 5120
    assert decode.kv_bytes(2) == 2560
    assert decode.kv_bytes(34 / 32) == 2 * 2 * 10 * 34  # q8_0: a 2-byte scale per 32 one-byte codes
    assert Shape(1, 4, 2, 1, 10, 32, True, window=4).kv_bytes(4) == 2 * 2 * 4 * 32 * 4


def test_how_a_top_left_causal_flag_is_avoided():
    assert Shape(1, 1, 1, 8, 8, 4, True).masking() == "causal"  # Nq = Nk: the runtimes' flag is exact
    assert Shape(1, 1, 1, 1, 8, 4, True).masking() == "none"  # one decode row sees every key
    assert Shape(1, 1, 1, 3, 8, 4, True).masking() == "mask"  # top-left would hide keys 1..7 from row 0
    assert Shape(1, 1, 1, 8, 8, 4, True, window=3).masking() == "mask"
    assert Shape(1, 1, 1, 8, 8, 4, False).masking() == "none"
    assert Shape(1, 1, 1, 2, 4, 1, True).mask(np).tolist() == [[True, True, True, False], [True] * 4]


@pytest.mark.parametrize("arguments, message", [
    ((1, 8, 3, 4, 4, 2, True), "--kv-heads 3 must divide --heads 8"),
    ((1, 8, 8, 5, 4, 2, True), "query length 5 must be in 1..4"),
    ((1, 8, 8, 4, 4, 2, False, 2), "must be at least 1 and causal"),
])
def test_impossible_shapes_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        Shape(*arguments)


# ---- The float64 reference against a brute-force loop ----------------------------------------

def brute_force(q, k, v, causal, window):
    batch, heads, n_q, d = q.shape
    kv_heads, n_k = k.shape[1], k.shape[2]
    out = np.zeros((batch, heads, n_q, d))
    for b in range(batch):
        for h in range(heads):
            kv = h // (heads // kv_heads)
            for i in range(n_q):
                position = i + n_k - n_q
                keys = [j for j in range(n_k) if (not causal or j <= position)
                        and (window is None or j > position - window)]
                scores = [sum(float(q[b, h, i, c]) * float(k[b, kv, j, c]) for c in range(d)) / math.sqrt(d)
                          for j in keys]
                top = max(scores)
                weights = [math.exp(s - top) for s in scores]
                for w, j in zip(weights, keys):
                    out[b, h, i] += w / sum(weights) * v[b, kv, j].astype(np.float64)
    return out


@pytest.mark.parametrize("heads, kv_heads, n_q, n_k, causal, window", [
    (4, 2, 5, 5, True, None), (4, 2, 3, 7, True, None), (6, 3, 1, 7, True, None), (4, 1, 3, 7, False, None),
    (4, 2, 4, 9, True, 3), (2, 2, 9, 9, True, 4), (4, 4, 2, 6, True, 6),
])
def test_reference_groups_heads_and_aligns_rows_bottom_right(heads, kv_heads, n_q, n_k, causal, window):
    q, k, v = frameworks.inputs(np, 2, heads, n_k, 4, seed=n_k, kv_heads=kv_heads, seq_len_q=n_q)
    assert q.shape == (2, heads, n_q, 4) and k.shape == v.shape == (2, kv_heads, n_k, 4)
    expected = brute_force(q, k, v, causal, window)
    for b in range(2):
        for h in range(heads):
            rows = frameworks.reference_rows(np, q, k, v, causal, range(n_q), (b, h), window)
            np.testing.assert_allclose(np.stack([rows[r] for r in range(n_q)]), expected[b, h], atol=1e-12)
    assert frameworks.max_abs_error(np, expected, q, k, v, causal, window) < 1e-12


def test_query_heads_read_their_groups_kv_head_and_the_last_positions():
    # V of K/V head kv is e_kv + 10·e_j at key j; Q = 0, so each row averages V over its visible keys.
    heads, kv_heads, n_q, n_k = 4, 2, 2, 5
    q = np.zeros((1, heads, n_q, n_k + 2), np.float32)
    k = np.zeros((1, kv_heads, n_k, n_k + 2), np.float32)
    v = np.zeros_like(k)
    for kv in range(kv_heads):
        for j in range(n_k):
            v[0, kv, j, kv] = 1.0
            v[0, kv, j, 2 + j] = 10.0
    for h in range(heads):
        rows = frameworks.reference_rows(np, q, k, v, True, [0, 1], (0, h))
        head = [1.0, 0.0] if h < 2 else [0.0, 1.0]  # heads 0, 1 read K/V head 0; heads 2, 3 head 1
        # Row 0 sits at key position 3 (bottom-right): keys 0..3, each weight 1/4; row 1 sees all 5.
        np.testing.assert_allclose(rows[0], head + [2.5, 2.5, 2.5, 2.5, 0.0], atol=1e-12)
        np.testing.assert_allclose(rows[1], head + [2.0] * 5, atol=1e-12)


# ---- The tiled loop: which key blocks are visited, and the NumPy twin -------------------------

def visible(n_q, n_k, causal, window, rows, cols):
    shape = Shape(1, 1, 1, n_q, n_k, 1, causal or window is not None, window)
    mask = shape.mask(np)
    return mask[np.ix_(rows, cols)]


@pytest.mark.parametrize("causal, window", [(False, None), (True, None), (True, 5), (True, 40)])
def test_key_block_spans_visit_the_blocks_with_visible_pairs_and_mask_only_where_needed(causal, window):
    rng = np.random.default_rng(11)
    cases = [(1, 100, 1, 32), (16, 100, 4, 32), (100, 100, 32, 32), (7, 9, 3, 4), (1, 1, 1, 1)]
    cases += [tuple(int(x) for x in sorted(rng.integers(1, 120, 2))) + tuple(int(x) for x in rng.integers(1, 40, 2))
              for _ in range(40)]
    for n_q, n_k, bq, bk in cases:
        for i in range(frameworks.block_count(n_q, bq)):
            start, full_start, full_end, end = frameworks.key_block_spans(i, bq, bk, n_q, n_k, causal, window)
            case = f"Nq={n_q} Nk={n_k} Bq={bq} Bk={bk} window={window} block {i}: {start, full_start, full_end, end}"
            assert 0 <= start <= full_start <= full_end <= end <= frameworks.block_count(n_k, bk), case
            rows = list(range(i * bq, min((i + 1) * bq, n_q)))
            for j in range(frameworks.block_count(n_k, bk)):
                cols = list(range(j * bk, min((j + 1) * bk, n_k)))
                seen = visible(n_q, n_k, causal, window, rows, cols)
                if full_start <= j < full_end:
                    assert seen.all() and len(cols) == bk, f"{case}: block {j} runs unmasked"
                elif start <= j < end:
                    assert seen.any(), f"{case}: block {j} is visited but wholly hidden"
                else:
                    assert not seen.any(), f"{case}: block {j} is skipped but has visible pairs"


@pytest.mark.parametrize("heads, kv_heads, n_q, n_k, block_q, block_kv, causal, window", [
    (4, 2, 70, 70, 32, 32, True, None), (4, 2, 1, 70, 1, 32, True, None), (4, 2, 5, 70, 2, 16, True, None),
    (4, 1, 9, 33, 4, 8, False, None), (4, 2, 40, 40, 8, 8, True, 10), (2, 2, 3, 50, 2, 8, True, 12),
])
def test_tiled_loop_gives_the_reference_for_grouped_decode_and_windowed_shapes(
        heads, kv_heads, n_q, n_k, block_q, block_kv, causal, window):
    q, k, v = (x.astype(np.float64) for x in frameworks.inputs(np, 1, heads, n_k, 8, seed=3, kv_heads=kv_heads,
                                                                seq_len_q=n_q))
    out = frameworks.flash_tiled_numpy(np, q, k, v, causal, block_q, block_kv, window)
    np.testing.assert_allclose(out, brute_force(q, k, v, causal, window), atol=1e-12)


# ---- q8_0 ---------------------------------------------------------------------------------------

def test_q8_0_dequantises_a_block_as_ggml_does():
    block = np.zeros(32, np.float32)
    block[:4] = [1.27, -0.256, 0.034, 0.0]
    # d = max|x| / 127 = 0.01 (fp32); codes round(x / d) = 127, -26 (-25.6), 3 (3.4), 0; the scale is
    # stored in fp16: 0.01 -> 0.01000213623046875.
    codes, scales = frameworks.q8_0_blocks(np, block)
    assert codes[0, :4].tolist() == [127, -26, 3, 0] and scales.tolist() == [[0.01000213623046875]]
    dequantised = frameworks.rounded(np, block, "q8_0")
    assert dequantised[:4].tolist() == [np.float32(c * 0.01000213623046875) for c in (127, -26, 3, 0)]
    # Halves round away from zero (roundf): with max = 127/128, d = 1/128 exactly and 2.5/128 -> 3.
    halves = np.zeros(32, np.float32)
    halves[:3] = [127 / 128, 2.5 / 128, -2.5 / 128]
    assert frameworks.q8_0_blocks(np, halves)[0][0, :3].tolist() == [127, 3, -3]
    # An all-zero block has scale 0 and codes 0, not NaN; blocks run along the last axis only.
    two = np.stack([block, np.zeros(32, np.float32)])
    assert np.array_equal(frameworks.rounded(np, two, "q8_0")[1], np.zeros(32))
    with pytest.raises(ValueError, match="whole blocks of 32"):
        frameworks.rounded(np, np.zeros((2, 16), np.float32), "q8_0")


def test_q8_0_is_checked_within_the_fp16_bound():
    assert frameworks.error_tolerance("q8_0") == 4 * 2.0 ** -11 == frameworks.error_tolerance("f16")


# ---- Option parsing -----------------------------------------------------------------------------

def test_query_lengths_and_windows():
    assert frameworks.query_lengths("seq", [4096]) == [None]
    assert frameworks.query_lengths("seq,1,16", [2048, 16384]) == [None, 1, 16]
    with pytest.raises(SystemExit, match="1..2048"):
        frameworks.query_lengths("4096", [2048, 16384])
    with pytest.raises(SystemExit, match="'seq' or integers"):
        frameworks.query_lengths("prefill", [64])
    assert frameworks.windows("none,4096") == [None, 4096]
    with pytest.raises(SystemExit, match="--window"):
        frameworks.windows("0")
