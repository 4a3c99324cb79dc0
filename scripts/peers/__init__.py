"""Measure PyTorch's, JAX's, OpenVINO's, ONNX Runtime's and ggml's CPU attention at attnbench's shapes,
interleaved with attnbench.

Usage (the peer runtimes live in their own git-ignored virtual environment, never in the system
Python; scripts/peers-venv.sh creates it with pinned versions):

    scripts/peers-venv.sh
    .venv-peers/bin/python scripts/frameworks.py --seq-len 4096 --threads 1,2 --causal both \\
        --attnbench .build/release/attnbench --output frameworks.csv
    .venv-peers/bin/python scripts/frameworks.py --model llama-3-8b --seq-len 16384 --query-len 1 \\
        --attnbench .build/release/attnbench --output decode.csv

Shapes are attnbench's: Q [B, H, Nq, d], K and V [B, H_kv, Nk, d] (--kv-heads: query head h reads
K/V head h // (H / H_kv)), --seq-len the key length Nk, --query-len 'seq' (Nq = Nk, prefill) or
Nq <= Nk (1: one-token decode), the queries the last Nq positions (causal row i sees keys
j <= i + Nk - Nq), --window W a causal sliding window (row i also hides keys j <= i + Nk - Nq - W;
at Nk <= W it hides nothing), --model NAME the heads, K/V heads, head_dim, window and causal of
attnbench's preset (read from `attnbench models`). Each peer tells its runtime the mask the way it
takes it and records how in `path`: a causal flag only where it means the same (the flags of
PyTorch, JAX, OpenVINO and ONNX's Attention and MultiHeadAttention do not align bottom-right when
Nq != Nk), else an explicit mask, or none where every row sees every key.

The peers, each at its best (README, "Against other runtimes"), named framework-variant:

- pytorch-sdpa-flash, -math, -default: `scaled_dot_product_attention` with the FLASH_ATTENTION or
  MATH backend forced, or PyTorch's dispatch (`path` names the backend it picks); -flash-bf16,
  -flash-f16, -default-bf16, -default-f16 on inputs converted once. GQA by enable_gqa=True (a
  backend that refuses it gets K/V repeat_interleave'd outside the timing; `path` says which);
- jax-flash-tiled (-bf16): FlashAttention-2 in JAX, query blocks in `lax.map` (--jax-outer), key
  blocks in `lax.fori_loop`s that skip hidden blocks and mask only crossing ones, the best of
  --jax-block-q × --jax-block-kv (and, with several threads, the slices split over JAX CPU devices);
  jax-flash-wholequery: all query rows against each key block (a while loop), as flash attention
  is often first written in JAX; jax-dot-product-attention (-bf16): `jax.nn.dot_product_attention`
  with fewer K/V heads (its own GQA); jax-plain (-bf16): softmax(QKᵀ)V under `jit`. The JAX loops
  group the queries as [B, H_kv, G, N, d]; bf16 ones accumulate in fp32;
- openvino-sdpa-f32, -bf16, -f16: an opset-13 ScaledDotProductAttention at that
  INFERENCE_PRECISION_HINT (`path`: what it became and the layers run); GQA by repeat_kv in the graph;
- onnxruntime-mha (-f16): com.microsoft.MultiHeadAttention (GQA: K/V repeated in the graph);
  onnxruntime-attention23 (-f16): the opset-23 Attention (GQA native); onnxruntime-gqa (-f16):
  com.microsoft.GroupQueryAttention as onnxruntime-genai runs it (decode: one step over a shared
  past/present KV buffer bound with IOBinding; a window through local_window_size). CPU execution
  provider, intra_op_num_threads = threads, all graph optimisations, inputs and output bound once;
- ggml-flash-attn-kv-f16, -f32, -q8_0, -bf16: one `ggml_flash_attn_ext` (llama.cpp's CPU flash
  attention, through ggml-python), Q in fp32, K/V stored in that type (q8_0 quantised by ggml), K/V
  heads broadcast natively, its fp16 mask, a thread pool of `threads` threads.

Each measurement runs in its own child process pinned to `threads` cores (sched_setaffinity, before
NumPy or the framework is imported), with the framework's thread count set to match
(`framework_threads`), compilation and a first call outside the timing, warm-up calls, then timed
repetitions: the row has every sample (`wall_times_s`), the median, min, p90, max, mean and IQR, and
`cpu_per_wall` (at most `threads`). A peer with blocks first times each block pair briefly
(--tune-repetitions), then measures the fastest afresh; `block_search` lists what each took. Every
output is checked against float64 (grouped and aligned the same way) on rows 0, Nq/2 and Nq-1 of
the first and last (batch, head) slice: above 1e-4 (attnbench's tolerance) the status is
`incorrect`; a bf16, f16 or q8_0 peer is checked on its inputs rounded as it reads them, against
its own bound (constants.error_tolerance). `extra_peak_memory_bytes` is how far the child's peak
resident set rose during its first call. `gflops` uses attnbench's useful FLOPs (4·d per visible
query-key pair per query head); `kv_bytes` is 2·B·H_kv·(keys read)·d·(bytes per stored element) and
`kv_read_gbps` kv_bytes / median, the measure for decode. A peer that cannot run a shape still has
its row: status `unsupported: …`, `missing: PACKAGE`, `error: …` or `timeout`.

With `--attnbench BINARY` the same shapes are measured by `attnbench sweep` (naive, flash2, fused,
and decode at Nq <= 16) in the same rounds, just before the peers; their ceilings
(`fma_peak_gflops`, `sgemm_peak_gflops`, `memory_read_gbps`) go into the peer rows of that round,
shape and thread count with `peak_efficiency`, `sgemm_efficiency` and `bandwidth_efficiency`.
Rounds repeat (--rounds); a summary table goes to stderr at the end. Output: CSV on stdout or
--output, one row per (round, framework, variant, shape, threads); --schema attnbench writes
attnbench's own columns (peer rows of kind `peer`).

The code lives in this package, one module per concept (constants, shapes, reference, tiling,
jax_kernels, jax_runtime, blocks, memory, pytorch_sdpa, openvino_sdpa, onnxruntime_attention,
onnxruntime_gqa, ggml_flash_attn, child, attnbench_driver, models, rows, summary, schema_rows, cli);
scripts/frameworks.py is the command.
"""

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .jax_runtime import *  # noqa: F401,F403
from .openvino_sdpa import *  # noqa: F401,F403
from .onnxruntime_attention import *  # noqa: F401,F403
from .onnxruntime_gqa import *  # noqa: F401,F403
from .pytorch_sdpa import *  # noqa: F401,F403
from .ggml_flash_attn import *  # noqa: F401,F403
from .child import *  # noqa: F401,F403
from .attnbench_driver import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .rows import *  # noqa: F401,F403
from .summary import *  # noqa: F401,F403
from .cli import *  # noqa: F401,F403
