"""ONNX Runtime's peers: a one-node ONNX graph run by the CPU execution provider, either
com.microsoft.MultiHeadAttention or the standard opset-23 Attention, in fp32 or with fp16 inputs and
output; with what the optimised graph holds (a Cast the runtime inserted says that the node runs in
fp32). The GroupQueryAttention peers are in onnxruntime_gqa.

Masks: both causal flags (MultiHeadAttention's unidirectional, Attention's is_causal) are exact only
at Nq = Nk, so other causal shapes pass an explicit mask: MultiHeadAttention an additive
attention_bias (0 or -inf, [1, 1, Nq, Nk]), Attention a boolean attn_mask [Nq, Nk]; a shape where
every row sees every key passes none. Grouped-query shapes: opset-23 Attention takes fewer K/V heads
as they are (its own GQA); MultiHeadAttention needs as many, so the graph repeats K and V
(Reshape, Expand, Reshape in its packed [B, N, heads·d] layout), inside the timing."""

import collections
import os
import pathlib
import tempfile

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403

# onnxruntime-<variant>: (operator, element type of the inputs and the output).
ONNXRUNTIME_VARIANTS = {"mha": ("MultiHeadAttention", "f32"), "mha-f16": ("MultiHeadAttention", "f16"),
                        "attention23": ("Attention", "f32"), "attention23-f16": ("Attention", "f16"),
                        "gqa": ("GroupQueryAttention", "f32"), "gqa-f16": ("GroupQueryAttention", "f16")}


def packed(x):
    """[B, heads, N, d] as the packed [B, N, heads·d] layout (BSNH) the contrib operators take."""
    return x.transpose(0, 2, 1, 3).reshape(x.shape[0], x.shape[2], -1)


def onnxruntime_model(onnx, np, operator, element, shape, mask):
    """(model, {input name: array to bind}, output shape) for MultiHeadAttention or Attention."""
    from onnx import TensorProto, helper

    kind = TensorProto.FLOAT16 if element == "f16" else TensorProto.FLOAT
    b, h, hkv, nq, nk, d = (shape.batch, shape.heads, shape.kv_heads, shape.seq_len_q, shape.seq_len, shape.head_dim)
    nodes, initializers, extra = [], [], {}
    if operator == "MultiHeadAttention":
        domain, names = "com.microsoft", ["q", "k", "v"]
        shapes = {"q": [b, nq, h * d], "k": [b, nk, hkv * d], "v": [b, nk, hkv * d]}
        if shape.group > 1:  # repeat_kv in the packed layout: [B, N, H_kv, 1, d] -> [B, N, H_kv, G, d]
            for name, dims in (("split", [b, nk, hkv, 1, d]), ("expand", [b, nk, hkv, shape.group, d]),
                               ("joined", [b, nk, h * d])):
                initializers.append(helper.make_tensor(name, TensorProto.INT64, [len(dims)], dims))
            for x in "kv":
                nodes += [helper.make_node("Reshape", [x, "split"], [f"{x}5"]),
                          helper.make_node("Expand", [f"{x}5", "expand"], [f"{x}e"]),
                          helper.make_node("Reshape", [f"{x}e", "joined"], [f"{x}r"])]
            names = ["q", "kr", "vr"]
        attributes = {"num_heads": h, "unidirectional": int(shape.masking() == "causal")}
        if mask is not None:
            names += ["", "", "bias"]
            shapes["bias"] = [1, 1, nq, nk]
            bias = np.where(mask, 0.0, -np.inf).astype(np.float16 if element == "f16" else np.float32)
            extra["bias"] = bias[None, None]
        node = helper.make_node(operator, names, ["o"], domain=domain, **attributes)
        opsets = [helper.make_opsetid("", 23), helper.make_opsetid(domain, 1)]
        output = [b, nq, h * d]
    else:
        try:
            onnx.defs.get_schema("Attention", 23, "")
        except Exception:
            raise RuntimeError(f"onnx {onnx.__version__} has no opset-23 Attention")
        shapes = {"q": [b, h, nq, d], "k": [b, hkv, nk, d], "v": [b, hkv, nk, d]}
        names = ["q", "k", "v"]
        if mask is not None:
            names.append("mask")
            extra["mask"] = mask
        node = helper.make_node(operator, names, ["o"], is_causal=int(shape.masking() == "causal"))
        opsets = [helper.make_opsetid("", 23)]
        output = [b, h, nq, d]
    inputs = [helper.make_tensor_value_info(name, kind, dims) for name, dims in shapes.items()]
    if "mask" in extra:
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.BOOL, list(mask.shape)))
    graph = helper.make_graph(nodes + [node], "attention", inputs, [helper.make_tensor_value_info("o", kind, output)],
                              initializer=initializers)
    return helper.make_model(graph, opset_imports=opsets), extra, output


def optimised_nodes(onnx, path):
    """'Cast ×4, MultiHeadAttention ×1': the node types of the graph the session runs."""
    counts = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
    return ", ".join(f"{op} ×{count}" for op, count in sorted(counts.items()))


def onnxruntime_session(onnx, ort, model, threads):
    """(session, optimised node list): CPU execution provider, intra_op_num_threads = threads, one
    inter-op thread, all graph optimisations."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: not the note that an optimised graph is machine-specific
    with tempfile.TemporaryDirectory() as folder:
        options.optimized_model_filepath = str(pathlib.Path(folder) / "optimised.onnx")
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        nodes = optimised_nodes(onnx, options.optimized_model_filepath)
    flash = "; ORT_DISABLE_FLASH_ATTENTION set" if os.environ.get("ORT_DISABLE_FLASH_ATTENTION") else ""
    return session, f"{', '.join(session.get_providers())}: {nodes}{flash}"


def onnxruntime_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. build() creates the session and
    binds Q, K, V (and the mask) and a preallocated output once (IOBinding); the call runs the bound
    session."""
    import onnx
    import onnxruntime as ort

    operator, element = ONNXRUNTIME_VARIANTS[spec["variant"]]
    if operator == "GroupQueryAttention":
        from .onnxruntime_gqa import gqa_runtime
        return gqa_runtime(np, spec, q, k, v)
    shape = shape_of(spec)
    dtype = np.float16 if element == "f16" else np.float32
    info = {"precision": element, "path": "", "kv_element_bytes": np.dtype(dtype).itemsize}
    held = {}
    kind = shape.masking()
    mask = shape.mask(np) if kind == "mask" else None

    def build(candidate):
        model, extra, output_shape = onnxruntime_model(onnx, np, operator, element, shape, mask)
        session, nodes = onnxruntime_session(onnx, ort, model, spec["threads"])
        flag = {"MultiHeadAttention": "unidirectional", "Attention": "is_causal"}[operator]
        given = {"MultiHeadAttention": "attention_bias (0/-inf)", "Attention": "bool attn_mask"}[operator]
        masking = {"causal": flag + shape.window_note(), "mask": f"{given}: {shape.mask_note()}",
                   "none": shape.mask_note()}[kind]
        grouping = ""
        if shape.group > 1:
            grouping = ("; GQA by repeat_kv in the graph (Reshape, Expand, Reshape)" if operator == "MultiHeadAttention"
                        else f"; GQA native: {shape.kv_heads} K/V heads")
        info["path"] = f"{operator} {element}; {masking}{grouping}; {nodes}"
        if operator == "MultiHeadAttention":
            arrays = {"q": packed(q), "k": packed(k), "v": packed(v)}
        else:
            arrays = {"q": q, "k": k, "v": v}
        binding = session.io_binding()
        values = [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x, dtype=dtype)) for x in arrays.values()]
        values += [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x)) for x in extra.values()]
        for name, value in zip(list(arrays) + list(extra), values):
            binding.bind_ortvalue_input(name, value)
        output = ort.OrtValue.ortvalue_from_shape_and_type(output_shape, dtype)
        binding.bind_ortvalue_output("o", output)
        held.update(session=session, inputs=values, output=output)

        def call():
            session.run_with_iobinding(binding)

        def unpack(_):
            out = output.numpy().astype(np.float32)
            if operator == "MultiHeadAttention":
                return out.reshape(shape.batch, shape.seq_len_q, shape.heads, shape.head_dim).transpose(0, 2, 1, 3)
            return out
        return call, unpack

    def framework_threads():
        return held["session"].get_session_options().intra_op_num_threads if held else ""

    return build, ort.__version__, framework_threads, info
