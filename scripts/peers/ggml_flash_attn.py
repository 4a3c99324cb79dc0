"""ggml's peers: one `ggml_flash_attn_ext` node (llama.cpp's CPU flash attention, through the
ggml-python bindings) with Q in fp32 and K and V stored in fp16, fp32, q8_0 or bf16, computed by a
ggml thread pool of `threads` threads.

K and V keep their H_kv heads: the kernel broadcasts them to the query heads (n_head % n_head_kv
== 0), query head h reading K/V head h // (H / H_kv). Masks are ggml's own: an fp16 [Nk, Nq] of 0
and -inf (bottom-right causal, sliding window) or none where every row sees every key. q8_0 K/V
are quantised by ggml itself (ggml_quantize_chunk: blocks of 32 along head_dim, an fp16 scale and
int8 codes), bf16 by ggml_fp32_to_bf16_row.

What the CPU kernel reads, and so what the reference is given (ggml-cpu's ops.cpp; the errors
against this reference bear it out for ggml 0.15.3, the one ggml-python 0.0.45 builds): it converts Q
to the vec_dot type of K (fp16 for fp16 K on its one-row-at-a-time path, q8_0 for q8_0, bf16 for
bf16, none for fp32; its tiled path for many fp32/fp16 query rows keeps Q in fp32), accumulates V
in fp16 for fp16 V on the one-row path and in fp32 otherwise. So fp16 K/V are checked as an f16
peer on inputs rounded to fp16 (Q included: the rounding the decode path does), q8_0 on Q, K and V
quantised to q8_0 (constants.error_tolerance says why within 2^-9), bf16 as a bf16 peer."""

import ctypes
import math

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403

# ggml-<variant>: the ggml type K and V are stored in (the precision the reference rounds to).
GGML_VARIANTS = {"flash-attn-kv-f16": "f16", "flash-attn-kv-f32": "f32", "flash-attn-kv-q8_0": "q8_0",
                 "flash-attn-kv-bf16": "bf16"}

# Bytes per stored element: a q8_0 block of 32 is an fp16 scale and 32 int8 codes.
GGML_ELEMENT_BYTES = {"f16": 2, "f32": 4, "q8_0": 34 / 32, "bf16": 2}


def ggml_support(variant, shape):
    """Raises Unsupported when the variant cannot store this shape's K/V."""
    if GGML_VARIANTS[variant] == "q8_0" and shape.head_dim % 32:
        raise Unsupported(f"q8_0 K/V need head_dim in whole blocks of 32, got {shape.head_dim}")


def ggml_kv_tensor(np, ggml, utils, context, x, element):
    """A ggml tensor of numpy's float32 [B, H_kv, N, d] (ggml's [d, N, H_kv, B]) stored as `element`."""
    if element in ("f16", "f32"):
        return utils.from_numpy(np.ascontiguousarray(x, dtype=np.float16 if element == "f16" else np.float32), context)
    kind = {"q8_0": ggml.GGML_TYPE_Q8_0, "bf16": ggml.GGML_TYPE_BF16}[element]
    source = np.ascontiguousarray(x, dtype=np.float32)
    dims = tuple(reversed(x.shape))
    tensor = ggml.ggml_new_tensor(context, kind, len(dims), (ctypes.c_int64 * len(dims))(*dims))
    pointer = source.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    if element == "q8_0":
        rows = source.size // x.shape[-1]
        written = ggml.ggml_quantize_chunk(kind, pointer, ggml.ggml_get_data(tensor), 0, rows, x.shape[-1], None)
        if written != ggml.ggml_nbytes(tensor):
            raise RuntimeError(f"ggml_quantize_chunk wrote {written} bytes of {ggml.ggml_nbytes(tensor)}")
    else:
        ggml.ggml_fp32_to_bf16_row(pointer, ctypes.cast(ggml.ggml_get_data(tensor), ctypes.POINTER(ggml.ggml_bf16_t)),
                                   source.size)
    return tensor


def ggml_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. build() puts Q, K, V and the mask
    in one ggml context, builds the one-node graph, its plan and work buffer and a thread pool
    once; the call computes the graph. The output is ggml's (batch, Nq, heads, d) layout,
    transposed back outside the timing."""
    import importlib.metadata

    import ggml
    import ggml.utils as utils

    shape = shape_of(spec)
    threads = spec["threads"]
    ggml_support(spec["variant"], shape)
    element = GGML_VARIANTS[spec["variant"]]
    mask = None if shape.masking() == "none" else shape.mask(np)  # bottom-right aligned: ggml's own rule too
    kind = shape.masking()
    masking = {"none": f", {shape.mask_note()}", "causal": f", f16 causal mask{shape.window_note()}",
               "mask": f", f16 {shape.mask_note()}"}[kind]
    grouping = f", K/V heads broadcast ({shape.kv_heads} for {shape.heads})" if shape.group > 1 else ""
    info = {"precision": element, "kv_element_bytes": GGML_ELEMENT_BYTES[element],
            "path": f"ggml_flash_attn_ext Q f32, K/V {element}{masking}{grouping}, GGML_PREC_F32"}
    held = {}

    def build(candidate):
        mask_bytes = mask.size * 2 if mask is not None else 0
        size = (2 * q.nbytes + int((k.nbytes + v.nbytes) * GGML_ELEMENT_BYTES[element] / 4) + mask_bytes
                + 16 * ggml.ggml_tensor_overhead() + ggml.ggml_graph_overhead() + 2 ** 20)
        context = ggml.ggml_init(ggml.ggml_init_params(mem_size=size, mem_buffer=None, no_alloc=False))
        if not context:
            raise RuntimeError(f"ggml_init could not allocate {size} bytes")
        # numpy's (batch, heads, N, d) is ggml's [d, N, heads, batch], the layout Q, K and V take.
        tq = utils.from_numpy(q, context)
        tk, tv = (ggml_kv_tensor(np, ggml, utils, context, x, element) for x in (k, v))
        tm = None
        if mask is not None:  # 0 where a key is visible, -inf where not; one [N_kv, N_q] for every head
            tm = utils.from_numpy(np.where(mask, 0.0, -np.inf).astype(np.float16), context)
        out = ggml.ggml_flash_attn_ext(context, tq, tk, tv, tm, 1.0 / math.sqrt(shape.head_dim), 0.0, 0.0)
        ggml.ggml_flash_attn_ext_set_prec(out, ggml.GGML_PREC_F32)
        graph = ggml.ggml_new_graph(context)
        ggml.ggml_build_forward_expand(graph, out)
        parameters = ggml.ggml_threadpool_params_default(threads)
        pool = ggml.ggml_threadpool_new(ctypes.byref(parameters))
        plan = ggml.ggml_graph_plan(graph, threads, pool)
        work = np.empty(max(plan.work_size, 1), np.uint8)
        plan.work_data = work.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte))
        held.update(context=context, graph=graph, plan=plan, work=work, pool=pool, tensors=(tq, tk, tv, tm, out))

        def call():
            status = ggml.ggml_graph_compute(graph, ctypes.byref(plan))
            if status != 0:
                raise RuntimeError(f"ggml_graph_compute returned status {status}")

        def unpack(_):
            return np.array(utils.to_numpy(out)).reshape(shape.batch, shape.seq_len_q, shape.heads,
                                                         shape.head_dim).transpose(0, 2, 1, 3)
        return call, unpack

    def framework_threads():
        return held["plan"].n_threads if held else ""

    return build, importlib.metadata.version("ggml-python"), framework_threads, info
