"""ONNX Runtime's com.microsoft.GroupQueryAttention peers (fp32 and fp16), run the way
onnxruntime-genai runs a decoder: query [B, Nq, H·d], key and value [B, Nq, H_kv·d] (packed BSNH),
seqlens_k = (total length − 1) per batch element (int32), total_sequence_length (int32 scalar), the
K/V heads as they are (the operator's own GQA), its causal mask bottom-right aligned and a sliding
window through local_window_size.

Nq = Nk (prefill) runs without a cache. Nq < Nk (decode) is one step over a preallocated KV cache of
Nk positions shared by past_key/present_key and past_value/present_value (past_present_share_buffer):
the first Nk − Nq positions hold their K/V already, the new tokens' K/V are the inputs, and the
operator writes them into the cache in place; everything is bound once with IOBinding, so a timed
call copies nothing but that step. Non-causal needs the operator's `causal` attribute set to 0 (an
onnxruntime without it is always causal: status unsupported; one decode row is the same attention
either way); several new tokens over a cache need batch 1 (the operator's rule)."""

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .onnxruntime_attention import *  # noqa: F401,F403


def gqa_takes_causal():
    """Whether this onnxruntime's GroupQueryAttention has the `causal` attribute (bidirectional when 0)."""
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as state
        for schema in state.get_all_operator_schema():
            if schema.name == "GroupQueryAttention" and schema.domain == "com.microsoft":
                return "causal" in schema.attributes
    except Exception:  # a build without schemas: assume the old, always causal operator
        pass
    return False


def gqa_plan(shape, takes_causal, version):
    """(cached, causal attribute or None, note): how the operator runs `shape`; raises Unsupported."""
    cached = shape.seq_len_q < shape.seq_len
    if cached and shape.seq_len_q > 1 and shape.batch > 1:
        raise Unsupported("GroupQueryAttention takes several new tokens over a KV cache only at batch 1")
    if not shape.causal and shape.seq_len_q == 1 and cached:
        return True, None, "one query row over the cache: causal and non-causal are the same"
    if not shape.causal:
        if not takes_causal:
            raise Unsupported(f"GroupQueryAttention in onnxruntime {version} is always causal")
        return cached, 0, "causal=0 (bidirectional)"
    window = shape.active_window
    note = "causal" + (f", local_window_size {window}" if window is not None else "") + shape.window_note()
    return cached, None, note


def gqa_model(helper, TensorProto, element, shape, cached, causal):
    kind = TensorProto.FLOAT16 if element == "f16" else TensorProto.FLOAT
    b, h, hkv, nq, nk, d = (shape.batch, shape.heads, shape.kv_heads, shape.seq_len_q, shape.seq_len, shape.head_dim)
    attributes = {"num_heads": h, "kv_num_heads": hkv,
                  "local_window_size": shape.active_window if shape.active_window is not None else -1}
    if causal is not None:
        attributes["causal"] = causal
    past = ["past_key", "past_value"] if cached else ["", ""]
    node = helper.make_node("GroupQueryAttention", ["q", "k", "v", *past, "seqlens_k", "total"],
                            ["o"] + (["present_key", "present_value"] if cached else []),
                            domain="com.microsoft", **attributes)
    inputs = [helper.make_tensor_value_info("q", kind, [b, nq, h * d]),
              helper.make_tensor_value_info("k", kind, [b, nq, hkv * d]),
              helper.make_tensor_value_info("v", kind, [b, nq, hkv * d])]
    outputs = [helper.make_tensor_value_info("o", kind, [b, nq, h * d])]
    if cached:
        inputs += [helper.make_tensor_value_info(name, kind, [b, hkv, nk, d]) for name in past]
        outputs += [helper.make_tensor_value_info(name, kind, [b, hkv, nk, d])
                    for name in ("present_key", "present_value")]
    inputs += [helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [b]),
               helper.make_tensor_value_info("total", TensorProto.INT32, [])]
    graph = helper.make_graph([node], "gqa", inputs, outputs)
    opsets = [helper.make_opsetid("", 23), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def gqa_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child (see the module's docstring)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    shape = shape_of(spec)
    element = ONNXRUNTIME_VARIANTS[spec["variant"]][1]
    dtype = np.float16 if element == "f16" else np.float32
    cached, causal, note = gqa_plan(shape, gqa_takes_causal(), ort.__version__)
    info = {"precision": element, "path": "", "kv_element_bytes": np.dtype(dtype).itemsize}
    held = {}

    def build(candidate):
        session, nodes = onnxruntime_session(onnx, ort, gqa_model(helper, TensorProto, element, shape, cached, causal),
                                             spec["threads"])
        new = slice(shape.seq_len - shape.seq_len_q, shape.seq_len)
        arrays = {"q": packed(q), "k": packed(k[:, :, new]), "v": packed(v[:, :, new]),
                  "seqlens_k": np.full(shape.batch, shape.seq_len - 1, np.int32),
                  "total": np.array(shape.seq_len, np.int32)}
        values = {name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x, dtype=x.dtype if x.dtype.kind == "i"
                                                                              else dtype))
                  for name, x in arrays.items()}  # seqlens_k and total stay int32
        binding = session.io_binding()
        for name, value in values.items():
            binding.bind_ortvalue_input(name, value)
        if cached:  # the cache holds every position; the step rewrites the new ones with the same values
            for past, present, x in (("past_key", "present_key", k), ("past_value", "present_value", v)):
                values[past] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x, dtype=dtype))
                binding.bind_ortvalue_input(past, values[past])
                binding.bind_ortvalue_output(present, values[past])
        output = ort.OrtValue.ortvalue_from_shape_and_type([shape.batch, shape.seq_len_q, shape.heads * shape.head_dim],
                                                           dtype)
        binding.bind_ortvalue_output("o", output)
        held.update(session=session, values=values, output=output)
        layout = (f"decode step of {shape.seq_len_q} over a shared past/present KV buffer of {shape.seq_len} "
                  "positions (IOBinding)" if cached else "prefill, no KV cache")
        grouping = f"; GQA native: {shape.kv_heads} K/V heads" if shape.group > 1 else ""
        info["path"] = f"GroupQueryAttention {element}; {layout}; {note}{grouping}; {nodes}"

        def call():
            session.run_with_iobinding(binding)

        def unpack(_):
            out = output.numpy().astype(np.float32)
            return out.reshape(shape.batch, shape.seq_len_q, shape.heads, shape.head_dim).transpose(0, 2, 1, 3)
        return call, unpack

    def framework_threads():
        return held["session"].get_session_options().intra_op_num_threads if held else ""

    return build, ort.__version__, framework_threads, info
