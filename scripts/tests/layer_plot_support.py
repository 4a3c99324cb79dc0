"""A small synthetic CSV of layer rows (attnbench sweep --model M --layer), for the layer figures and
table tests.

One model, llama-3-8b, at 2 threads: prefill at 512, 2k and 8k (naive ran out of memory at 8k) and
decode (Nq 1) at KV 512, 2k and 8k (fused ran out of memory at 8k); one naive prefill row at 1 thread
(left out of the figures, which keep the largest thread count) and one row without layer columns
(never a layer row).  The times are chosen so that every expectation is exact: see the comments."""

from plot_support import SCHEMA_DOCUMENT, make_row, write_csv

VERSION = SCHEMA_DOCUMENT["schema_version"]
MODEL = "llama-3-8b"


def layer(variant, seq, attention, products, query=None, threads=2, token=None, **fields):
    """An ok layer row: attention median `attention`, layer products `products` (seconds)."""
    share = attention / (attention + products)
    return make_row(schema_version=VERSION, model=MODEL, variant=variant, threads=threads, seq=seq,
                    seq_len_q=seq if query is None else query, causal="true", wall_time_median_s=attention,
                    layer_dtype="f32", layer_gemm_time_s=products, attention_share=share,
                    token_time_s="" if token is None else token, **fields)


def failed(variant, seq, status="oom", query=None):
    """A layer row that did not run: no times, its layer_dtype kept."""
    return make_row(schema_version=VERSION, model=MODEL, variant=variant, threads=2, seq=seq,
                    seq_len_q=seq if query is None else query, causal="true", status=status,
                    wall_time_median_s="", wall_time_min_s="", wall_time_max_s="", gflops="",
                    layer_dtype="f32", message="estimated peak exceeds the memory budget")


def rows():
    return [
        # naive prefill: share 0.25 at 512 and 0.75 at 2k: half-way in log2 length at 1k (measured 2k).
        layer("naive", 512, 0.1, 0.3), layer("naive", 2048, 0.6, 0.2), failed("naive", 8192),
        # flash2: at 512 attention 0.1 / 0.05 = 2×, layer 0.4 / 0.35 = 8/7×, surviving (8/7 − 1) / (2 − 1) = 1/7;
        # at 2k attention 0.6 / 0.2 = 3×, layer 0.8 / 0.4 = 2×, surviving 1 / 2; at 8k naive: oom.
        layer("flash2", 512, 0.05, 0.3), layer("flash2", 2048, 0.2, 0.2), layer("flash2", 8192, 0.8, 0.4),
        # fused: as fast as naive at 512 (1×: no surviving fraction).  At 2k two duplicate rows: medians
        # attention 0.15 (4×) and layer total (0.35 + 0.45) / 2 = 0.4 (2×), surviving 1 / 3.
        layer("fused", 512, 0.1, 0.3), layer("fused", 2048, 0.1, 0.25), layer("fused", 2048, 0.2, 0.25),
        layer("fused", 8192, 0.5, 0.5),
        # Decode: naive at least half from the smallest length on, flash2 never, fused not up to 2k and oom at 8k.
        layer("naive", 512, 0.006, 0.004, query=1, token=0.4), layer("naive", 2048, 0.007, 0.003, query=1, token=0.41),
        layer("naive", 8192, 0.008, 0.002, query=1, token=0.42),
        layer("flash2", 512, 0.001, 0.009, query=1, token=0.38),
        layer("flash2", 2048, 0.002, 0.008, query=1, token=0.39),
        layer("flash2", 8192, 0.003, 0.007, query=1, token=0.395),
        layer("fused", 512, 0.001, 0.009, query=1, token=0.37), layer("fused", 2048, 0.002, 0.008, query=1, token=0.38),
        failed("fused", 8192, query=1),
        # At 1 thread: its own panel in the table, left out of the figures.
        layer("naive", 512, 0.9, 0.1, threads=1),
        # Not a layer row: no layer columns.
        make_row(schema_version=VERSION, model=MODEL, variant="flash2", threads=2, seq=4096, causal="true"),
    ]


def write(path, selected=None):
    return write_csv(path, selected if selected is not None else rows())
