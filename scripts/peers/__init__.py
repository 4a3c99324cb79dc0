"""Measure PyTorch's, JAX's, OpenVINO's, ONNX Runtime's and ggml's CPU attention at attnbench's shapes,
interleaved with attnbench.

Usage (the peer runtimes live in their own git-ignored virtual environment, never in the system
Python; scripts/peers-venv.sh creates it with pinned versions):

    scripts/peers-venv.sh
    .venv-peers/bin/python scripts/frameworks.py --seq-len 4096 --threads 1,2 --causal both \\
        --attnbench .build/release/attnbench --output frameworks.csv

The peers, each at its best (README, "Against PyTorch and JAX"), named framework-variant:

- pytorch-sdpa-flash, pytorch-sdpa-math, pytorch-sdpa-default: `scaled_dot_product_attention`
  with the backend forced to FLASH_ATTENTION (PyTorch's CPU flash kernel) or MATH (unfused), and
  with no backend forced (PyTorch's own dispatch); `path` records the backend and type, and for the
  dispatched ones the backend PyTorch's dispatch chooses (`torch._fused_sdp_choice`);
- pytorch-sdpa-flash-bf16, pytorch-sdpa-flash-f16, pytorch-sdpa-default-bf16,
  pytorch-sdpa-default-f16: the same flash and dispatched SDPA on Q, K and V converted to bf16 or
  fp16 once, outside the timing (the output is in that type too); a forced backend that does not
  take the type fails with PyTorch's own error;
- jax-flash-tiled: FlashAttention-2 written in JAX (`flash_tiled_jax`): an outer loop over query
  blocks, an inner `lax.fori_loop` over key blocks with online softmax and one normalisation at
  the end; causal skips the key blocks past the diagonal and masks only the blocks that cross it.
  Query blocks are looped with `lax.map` (--jax-outer; on a 2-core AMD EPYC it was as fast as a
  Python-unrolled loop non-causal and 1.5× faster causal, and `vmap` 1.5–3× slower). Every
  (block_q, block_kv) in --jax-block-q × --jax-block-kv is tried, and with more than one thread
  also with the (batch, head) slices split over that many JAX CPU devices (`shard_map`: XLA
  otherwise parallelises only inside each small block GEMM); the fastest is kept;
- jax-flash-wholequery: the same online softmax with all N query rows against each key block (a
  `lax.while_loop` over key blocks only). It is how flash attention is often first written in JAX:
  every score block is N × block_kv and leaves cache, and causal masks instead of skipping;
- jax-dot-product-attention: `jax.nn.dot_product_attention` with its default implementation (XLA
  on CPU), given the (batch, seq, heads, dim) layout it takes;
- jax-plain: `softmax(QKᵀ)V` under `jit`;
- openvino-sdpa-f32, openvino-sdpa-bf16, openvino-sdpa-f16: one opset-13
  `scaled_dot_product_attention` node (causal through its `causal` attribute) compiled for the CPU
  with INFERENCE_PRECISION_HINT f32, bf16 or f16, INFERENCE_NUM_THREADS = threads, one stream
  (latency hint); one infer request, inputs set once. `path` records the precision the compiled
  model reports (a CPU without f16 arithmetic may turn f16 into bf16) and the layers it runs;
- onnxruntime-mha, onnxruntime-mha-f16: `com.microsoft.MultiHeadAttention` (causal through
  `unidirectional=1`), fp32 or fp16 inputs and output; onnxruntime-attention23,
  onnxruntime-attention23-f16: the standard opset-23 `Attention` (causal through `is_causal=1`).
  CPU execution provider, intra_op_num_threads = threads, inter_op_num_threads = 1, all graph
  optimisations; inputs and output bound once (IOBinding). `path` lists the nodes of the optimised
  graph: Casts the runtime inserted around a node mean it has no fp16 kernel and runs in fp32;
- ggml-flash-attn-kv-f16, ggml-flash-attn-kv-f32: one `ggml_flash_attn_ext` node (llama.cpp's CPU
  flash attention, through ggml-python) with Q in fp32 and K and V stored in fp16 or fp32 (the
  kernel converts Q to the type of K, so the fp16 one is checked as an fp16 peer), causal through
  its fp16 mask (0 or -inf), GGML_PREC_F32, a thread pool of `threads` threads; the graph, its
  plan and work buffer are made once and the call computes the graph.

Each measurement runs in its own child process pinned to `threads` cores (sched_setaffinity, before
the framework is imported), with the framework's thread count set to match (`torch.set_num_threads`;
XLA sizes its Eigen pool from the affinity mask, and the row records the pool it found in
`framework_threads`), compilation (JIT, OpenVINO's model, ONNX Runtime's session) and a first call
outside the timing, warm-up calls, then timed
repetitions; the row reports the median, and `cpu_per_wall`, the process's CPU seconds per wall
second over the timed calls (at most `threads`: the check that a 1-thread child used one core).
A peer with blocks first times each block pair briefly
(--tune-repetitions), then measures the fastest afresh; `block_search` lists what each pair took.
Every peer's output is checked against float64 on rows 0, N/2 and N-1 of the first and the last
(batch, head) slice; a row whose error exceeds 1e-4 (attnbench's tolerance) has status
`incorrect`. A peer that computes in bf16 or f16 is checked on its inputs rounded to that type,
against 4 units of its roundoff (2^-6 for bf16, 2^-9 for f16; constants.error_tolerance says why).
`extra_peak_memory_bytes` is how far the child's peak resident set rose above its resident set
during the first call (Linux; after compilation; with the output where the call allocates it, as
PyTorch and JAX do, not OpenVINO's and ONNX Runtime's, bound before): a peer that holds all
B·H·N² scores at once shows them there. A peer whose runtime is not installed gets rows with status `missing: PACKAGE`.

With `--attnbench BINARY` the same shapes are also measured by `attnbench sweep` (flash2 and
naive) in the same rounds, just before the peers, so all numbers are taken minutes apart. Its rows
carry the machine's ceilings at that thread count (`fma_peak_gflops`, `sgemm_peak_gflops`, CSV
schema 2), and every peer row of that round, shape and thread count is given the same ceilings and
its `peak_efficiency` and `sgemm_efficiency` against them. `gflops` uses attnbench's useful-FLOP
count (4·B·H·N²·d non-causal, visible pairs causal). Rounds are repeated (`--rounds`); a summary
table (GFLOP/s min–max over rounds) goes to stderr at the end.

Output: CSV on stdout or --output, one row per (round, framework, variant, shape, threads).

The code lives in this package, one module per concept (constants, reference, tiling,
jax_kernels, blocks, memory, openvino_sdpa, onnxruntime_attention, pytorch_sdpa, ggml_flash_attn, child,
attnbench_driver, cli);
scripts/frameworks.py is the command.
"""

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .openvino_sdpa import *  # noqa: F401,F403
from .onnxruntime_attention import *  # noqa: F401,F403
from .pytorch_sdpa import *  # noqa: F401,F403
from .ggml_flash_attn import *  # noqa: F401,F403
from .child import *  # noqa: F401,F403
from .attnbench_driver import *  # noqa: F401,F403
from .cli import *  # noqa: F401,F403
