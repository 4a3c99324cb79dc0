"""A small synthetic CSV in attnbench's schema with peer rows, for the peers figure and table tests.

Prefill B1 H4/4 d32 N 2048 non-causal at 1 and 2 threads, and decode B1 H8/2 d64 Nq 1 Nk 4096 at
1 thread.  The numbers are chosen so that each test's expectation is exact: see the comments."""

from plot_support import SCHEMA_DOCUMENT, make_row, write_csv

VERSION = SCHEMA_DOCUMENT["schema_version"]
PREFILL = {"batch": 1, "heads": 4, "kv_heads": 4, "head_dim": 32, "seq": 2048}
DECODE = {"batch": 1, "heads": 8, "kv_heads": 2, "head_dim": 64, "seq_len_q": 1, "seq_len_kv": 4096,
          "causal": "true"}
MIB = 1 << 20


def ours(variant, threads, gflops, **fields):
    return make_row(schema_version=VERSION, variant=variant, threads=threads, gflops=gflops,
                    attnbench_version="0.2.0", **dict(PREFILL, **fields))


def peer(name, threads, gflops=None, status="ok", message=None, shape=PREFILL, **fields):
    runtime = name.split("-")[0]
    row = make_row(schema_version=VERSION, kind="peer", variant=name, threads=threads, status=status,
                   gflops="" if gflops is None else gflops, block_q="", block_kv="", block_auto="",
                   fma_peak_gflops="", sgemm_peak_gflops="", gemm_roofline_gflops="", workspace_bytes="",
                   peak_memory_bytes=fields.pop("peak_memory_bytes", 10 * MIB),
                   message=message if message is not None else f"{runtime} 1.0; some fused path", **shape)
    row.update(fields)
    return row


def rows():
    return [
        # attnbench: fused is its fastest at both thread counts; naive holds the 64 MiB of fp32 scores.
        ours("fused", 1, 100.0), ours("fused", 2, 180.0),
        ours("flash2", 1, 60.0), ours("flash2", 2, 110.0),
        ours("naive", 1, 30.0, peak_memory_bytes=70 * MIB), ours("naive", 2, 50.0, peak_memory_bytes=70 * MIB),
        # Three rounds at 1 thread: median 150 (min 140, max 160); fused / it = 100 / 150.
        peer("openvino-sdpa-f32", 1, 140.0), peer("openvino-sdpa-f32", 1, 160.0), peer("openvino-sdpa-f32", 1, 150.0),
        peer("openvino-sdpa-f32", 2, 150.0), peer("openvino-sdpa-f32", 2, 170.0),
        # The fastest at 2 threads (200): fused / it = 180 / 200.
        peer("onnxruntime-mha", 1, 120.0), peer("onnxruntime-mha", 2, 200.0),
        # Fastest of all, but incorrect: it must not compete.
        peer("onnxruntime-attention23", 1, 500.0, status="incorrect"),
        # Not installed: an error row whose reason is last in the message.
        peer("pytorch-sdpa-flash", 1, status="error", message="pytorch; missing: torch", peak_memory_bytes=""),
        peer("openvino-sdpa-bf16", 1, 300.0),
        # 40 MiB: above the 32 MiB of its 16-bit scores (B·H·N²·2), so it materialises them.
        peer("onnxruntime-attention23-f16", 1, 20.0, peak_memory_bytes=40 * MIB),
        peer("ggml-flash-attn-kv-q8_0", 1, 80.0),
        # Decode: K/V GB/s compare, not GFLOP/s (which would rank them the other way round).
        make_row(schema_version=VERSION, variant="decode", threads=1, gflops=50.0, kv_read_gbps=20.0, **DECODE),
        peer("openvino-sdpa-f32", 1, 5.0, shape=DECODE, kv_read_gbps=25.0),
        # No kv_read_gbps: kv_bytes / median time = 8e6 B / 1e-3 s = 8 GB/s.
        peer("pytorch-sdpa-math", 1, 900.0, shape=DECODE, kv_bytes=8_000_000, wall_time_median_s=1e-3,
             message="pytorch 2.0; sdpa_kernel(MATH) f32"),
    ]


def write(path, selected=None):
    return write_csv(path, selected if selected is not None else rows())
