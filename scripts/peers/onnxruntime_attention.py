"""ONNX Runtime's peers: a one-node ONNX graph run by the CPU execution provider, either
com.microsoft.MultiHeadAttention (causal through `unidirectional=1`) or the standard opset-23
Attention (causal through `is_causal=1`), in fp32 or with fp16 inputs and output; with what the
optimised graph holds (a Cast the runtime inserted says that the node runs in fp32)."""

import collections
import os
import pathlib
import tempfile

from .constants import *  # noqa: F401,F403

# onnxruntime-<variant>: (operator, element type of the inputs and the output).
ONNXRUNTIME_VARIANTS = {"mha": ("MultiHeadAttention", "f32"), "mha-f16": ("MultiHeadAttention", "f16"),
                        "attention23": ("Attention", "f32"), "attention23-f16": ("Attention", "f16")}


def onnxruntime_model(onnx, operator, element, b, h, n, d, causal):
    """The one-node model. MultiHeadAttention takes (batch, seq, heads·dim) and the head count;
    opset-23 Attention takes (batch, heads, seq, dim) as the peers' inputs are."""
    from onnx import TensorProto, helper

    kind = TensorProto.FLOAT16 if element == "f16" else TensorProto.FLOAT
    if operator == "MultiHeadAttention":
        shape, domain = [b, n, h * d], "com.microsoft"
        node = helper.make_node(operator, ["q", "k", "v"], ["o"], domain=domain, num_heads=h,
                                unidirectional=int(causal))
        opsets = [helper.make_opsetid("", 23), helper.make_opsetid(domain, 1)]
    else:
        try:
            onnx.defs.get_schema("Attention", 23, "")
        except Exception:
            raise RuntimeError(f"onnx {onnx.__version__} has no opset-23 Attention")
        shape = [b, h, n, d]
        node = helper.make_node(operator, ["q", "k", "v"], ["o"], is_causal=int(causal))
        opsets = [helper.make_opsetid("", 23)]
    graph = helper.make_graph([node], "attention", [helper.make_tensor_value_info(x, kind, shape) for x in "qkv"],
                              [helper.make_tensor_value_info("o", kind, shape)])
    return helper.make_model(graph, opset_imports=opsets), shape


def optimised_nodes(onnx, path):
    """'Cast ×4, MultiHeadAttention ×1': the node types of the graph the session runs."""
    counts = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
    return ", ".join(f"{op} ×{count}" for op, count in sorted(counts.items()))


def onnxruntime_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. build() creates the session and
    binds Q, K, V and a preallocated output once (IOBinding); the call runs the bound session."""
    import onnx
    import onnxruntime as ort

    b, h, n, d, causal, threads = (spec[key] for key in ("batch", "heads", "seq_len", "head_dim", "causal",
                                                         "threads"))
    operator, element = ONNXRUNTIME_VARIANTS[spec["variant"]]
    dtype = np.float16 if element == "f16" else np.float32
    info = {"precision": element, "path": ""}
    held = {}

    def build(candidate):
        model, shape = onnxruntime_model(onnx, operator, element, b, h, n, d, causal)
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
        attribute = {"MultiHeadAttention": " unidirectional", "Attention": " is_causal"}[operator] if causal else ""
        flash = "; ORT_DISABLE_FLASH_ATTENTION set" if os.environ.get("ORT_DISABLE_FLASH_ATTENTION") else ""
        info["path"] = f"{operator}{attribute} {element}; {', '.join(session.get_providers())}: {nodes}{flash}"
        if operator == "MultiHeadAttention":
            arrays = [x.transpose(0, 2, 1, 3).reshape(shape) for x in (q, k, v)]
        else:
            arrays = [q, k, v]
        binding = session.io_binding()
        inputs = [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x, dtype=dtype)) for x in arrays]
        for name, value in zip("qkv", inputs):
            binding.bind_ortvalue_input(name, value)
        output = ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype)
        binding.bind_ortvalue_output("o", output)
        held.update(session=session, inputs=inputs, output=output)

        def call():
            session.run_with_iobinding(binding)

        def unpack(_):
            out = output.numpy().astype(np.float32)
            return out.reshape(b, n, h, d).transpose(0, 2, 1, 3) if operator == "MultiHeadAttention" else out
        return call, unpack

    def framework_threads():
        return held["session"].get_session_options().intra_op_num_threads if held else ""

    return build, ort.__version__, framework_threads, info
