"""ggml's peers: one `ggml_flash_attn_ext` node (llama.cpp's CPU flash attention, through the
ggml-python bindings) with Q in fp32 and K and V in fp16 or fp32, causal through its fp16 mask,
computed by a ggml thread pool of `threads` threads."""

import ctypes
import math

# ggml-<variant>: the ggml type K and V are stored in, which is also the type the kernel computes
# Q·K in (it converts Q to the type of K) and so the precision the reference rounds the inputs to.
GGML_VARIANTS = {"flash-attn-kv-f16": "f16", "flash-attn-kv-f32": "f32"}


def ggml_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. build() puts Q, K, V and the mask
    in one ggml context, builds the one-node graph, its plan and work buffer and a thread pool
    once; the call computes the graph. The output is ggml's (batch, N, heads, d) layout,
    transposed back outside the timing."""
    import importlib.metadata

    import ggml
    import ggml.utils as utils

    b, h, n, d, causal, threads = (spec[key] for key in ("batch", "heads", "seq_len", "head_dim", "causal",
                                                         "threads"))
    element = GGML_VARIANTS[spec["variant"]]
    kv_type = np.float16 if element == "f16" else np.float32
    info = {"precision": element,
            "path": f"ggml_flash_attn_ext Q f32, K/V {element}{', f16 causal mask' if causal else ''}, "
                    "GGML_PREC_F32"}
    held = {}

    def build(candidate):
        mask_bytes = n * n * 2 if causal else 0
        size = (2 * q.nbytes + (k.nbytes + v.nbytes) * np.dtype(kv_type).itemsize // 4 + mask_bytes
                + 16 * ggml.ggml_tensor_overhead() + ggml.ggml_graph_overhead() + 2 ** 20)
        context = ggml.ggml_init(ggml.ggml_init_params(mem_size=size, mem_buffer=None, no_alloc=False))
        if not context:
            raise RuntimeError(f"ggml_init could not allocate {size} bytes")
        # numpy's (batch, heads, N, d) is ggml's [d, N, heads, batch], the layout Q, K and V take.
        tq = utils.from_numpy(q, context)
        tk, tv = (utils.from_numpy(np.ascontiguousarray(x, dtype=kv_type), context) for x in (k, v))
        mask = None
        if causal:  # 0 where a key is visible, -inf past the diagonal; one [N_kv, N_q] for every head
            mask = utils.from_numpy(np.triu(np.full((n, n), -np.inf, np.float32), 1).astype(np.float16), context)
        out = ggml.ggml_flash_attn_ext(context, tq, tk, tv, mask, 1.0 / math.sqrt(d), 0.0, 0.0)
        ggml.ggml_flash_attn_ext_set_prec(out, ggml.GGML_PREC_F32)
        graph = ggml.ggml_new_graph(context)
        ggml.ggml_build_forward_expand(graph, out)
        parameters = ggml.ggml_threadpool_params_default(threads)
        pool = ggml.ggml_threadpool_new(ctypes.byref(parameters))
        plan = ggml.ggml_graph_plan(graph, threads, pool)
        work = np.empty(max(plan.work_size, 1), np.uint8)
        plan.work_data = work.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte))
        held.update(context=context, graph=graph, plan=plan, work=work, pool=pool, tensors=(tq, tk, tv, mask, out))

        def call():
            status = ggml.ggml_graph_compute(graph, ctypes.byref(plan))
            if status != 0:
                raise RuntimeError(f"ggml_graph_compute returned status {status}")

        def unpack(_):
            return np.array(utils.to_numpy(out)).reshape(b, n, h, d).transpose(0, 2, 1, 3)
        return call, unpack

    def framework_threads():
        return held["plan"].n_threads if held else ""

    return build, importlib.metadata.version("ggml-python"), framework_threads, info
