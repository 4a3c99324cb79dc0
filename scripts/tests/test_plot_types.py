"""Rows of different element types are drawn in panels of their own, each titled with its types."""
from plot_support import make_row

from attnplot.selection import element_types_text, panelled_rows  # scripts/ is on sys.path: plot_support


def test_each_type_pair_gets_its_own_panel_fp32_first():
    rows = [make_row(dtype=d, kv_dtype=k, variant=v) for d, k in (("bf16", "q8_0"), ("f32", "f32"), ("bf16", "bf16"))
            for v in ("flash2", "fused")]
    panels = panelled_rows(rows)
    assert [(p.dtype, p.kv_dtype) for p, _, _ in panels] == [("f32", "f32"), ("bf16", "bf16"), ("bf16", "q8_0")]
    titles = [title for _, title, _ in panels]
    assert "bf16" not in titles[0] and "K/V" not in titles[0]
    assert "bf16" in titles[1] and "K/V" not in titles[1]
    assert "bf16 · K/V q8_0" in titles[2]
    assert all(len(members) == 2 for _, _, members in panels)


def test_type_text_names_only_what_differs_from_fp32():
    assert element_types_text("f32", "f32") == ""
    assert element_types_text(None, None) == ""
    assert element_types_text("f32", "q8_0") == "K/V q8_0"
    assert element_types_text("f16", "f16") == "f16"
    assert element_types_text("bf16", "f32") == "bf16 · K/V f32"


def test_attnbench_rows_in_the_peer_table_carry_their_types():
    from attnplot.peerdata import element_type

    def row(dtype, kv_dtype):
        return make_row(kind="time", variant="fused", dtype=dtype, kv_dtype=kv_dtype)

    assert element_type(row("f32", "f32")) == "fp32"
    assert element_type(row("", "")) == "fp32"
    assert element_type(row("bf16", "bf16")) == "bf16"
    assert element_type(row("f32", "q8_0")) == "K/V q8_0"
    assert element_type(row("f16", "q8_0")) == "f16 K/V q8_0"
