"""OpenVINO's peers: one opset-13 ScaledDotProductAttention node compiled for the CPU at an
INFERENCE_PRECISION_HINT of f32, bf16 or f16, with what the compiled model reports it runs: the
precision the hint became and the layers the plugin made of the graph.

The node refuses fewer K/V heads than query heads, so a grouped-query shape repeats K and V inside
the graph the way Hugging Face's repeat_kv does (Unsqueeze, Broadcast to [B, H_kv, G, N, d],
Reshape to [B, H, N, d]): its time is in the timing and its memory in extra_peak_memory_bytes. Its
`causal` attribute is top-left aligned when Nq ≠ Nk, so it is used only at Nq = Nk without a window;
otherwise a boolean attn_mask input (set once) carries the bottom-right or sliding-window mask."""

import collections

from .constants import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403

# openvino-sdpa-<hint>: the precision each peer asks for.
OPENVINO_HINTS = {"sdpa-f32": "f32", "sdpa-bf16": "bf16", "sdpa-f16": "f16"}


def openvino_layers(ov, compiled):
    """'Subgraph bf16 ×1, Transpose bf16 ×3': the runtime model's layers (type and the precision
    each runs at), inputs, outputs and constants left out."""
    counts = collections.Counter()
    for op in compiled.get_runtime_model().get_ops():
        info = op.get_rt_info()
        layer = info["layerType"].astype(str) if "layerType" in info else op.get_type_name()
        if layer in ("Input", "Output", "Const", "Parameter", "Result", "Constant"):
            continue
        precision = info["runtimePrecision"].astype(str) if "runtimePrecision" in info else ""
        counts[f"{layer} {precision}".strip()] += 1
    return ", ".join(f"{layer} ×{count}" for layer, count in sorted(counts.items()))


def openvino_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. build() compiles the model and
    creates its one infer request with Q, K and V set once; the call runs that request. info gets
    the precision the compiled model reports (the reference rounds the inputs to it) and the path."""
    import openvino as ov
    import openvino.properties as properties
    import openvino.properties.hint as hints
    from openvino import opset13

    shape = shape_of(spec)
    threads = spec["threads"]
    asked = OPENVINO_HINTS[spec["variant"]]
    info = {"precision": asked, "path": "", "kv_element_bytes": 4}  # f32 inputs; the plugin converts inside
    core = ov.Core()
    held = {}
    kind = shape.masking()
    mask = shape.mask(np) if kind == "mask" else None

    def repeat_kv(x):
        """[B, H_kv, N, d] -> [B, H, N, d], each K/V head repeated for the G query heads of its group."""
        b, n, d = shape.batch, shape.seq_len, shape.head_dim

        def dims(*values):
            return opset13.constant(np.array(values, np.int64))
        expanded = opset13.broadcast(opset13.unsqueeze(x, dims(2)), dims(b, shape.kv_heads, shape.group, n, d))
        return opset13.reshape(expanded, dims(b, shape.heads, n, d), False)

    def build(candidate):
        q_shape = [shape.batch, shape.heads, shape.seq_len_q, shape.head_dim]
        kv_shape = [shape.batch, shape.kv_heads, shape.seq_len, shape.head_dim]
        parameters = [opset13.parameter(dims, ov.Type.f32, name=name)
                      for name, dims in (("q", q_shape), ("k", kv_shape), ("v", kv_shape))]
        keys, values = parameters[1:]
        if shape.group > 1:
            keys, values = repeat_kv(keys), repeat_kv(values)
        arguments = [parameters[0], keys, values]
        if mask is not None:
            parameters.append(opset13.parameter(list(mask.shape), ov.Type.boolean, name="mask"))
            arguments.append(parameters[-1])
        attention = opset13.scaled_dot_product_attention(*arguments, causal=kind == "causal")
        model = ov.Model([attention], parameters, "sdpa")
        # One stream of `threads` threads for one request at a time: the latency configuration.
        compiled = core.compile_model(model, "CPU", {
            hints.inference_precision(): asked, properties.inference_num_threads(): threads,
            hints.performance_mode(): hints.PerformanceMode.LATENCY, properties.num_streams(): 1})
        ran = compiled.get_property(hints.inference_precision()).get_type_name()
        if ran not in UNIT_ROUNDOFF:
            raise RuntimeError(f"openvino compiled INFERENCE_PRECISION_HINT {asked} as {ran}, which is not checked")
        info["precision"] = ran
        masking = {"causal": "causal attribute" + shape.window_note(), "none": shape.mask_note(),
                   "mask": "bool attn_mask: " + shape.mask_note()}[kind]
        grouping = (f"; GQA by repeat_kv in the graph ({shape.kv_heads} -> {shape.heads} K/V heads)"
                    if shape.group > 1 else "")
        info["path"] = (f"INFERENCE_PRECISION_HINT {asked} -> {ran}; {masking}{grouping}; "
                        f"{openvino_layers(ov, compiled)}")
        request = compiled.create_infer_request()
        for index, x in enumerate((q, k, v) if mask is None else (q, k, v, mask)):
            request.set_input_tensor(index, ov.Tensor(x))
        output = request.get_output_tensor(0)
        held["compiled"] = compiled

        def call():
            request.infer(share_outputs=True)  # the output stays in the request's tensor: no copy
        return call, lambda _: np.array(output.data)

    def framework_threads():
        return held["compiled"].get_property(properties.inference_num_threads()) if held else ""

    return build, ov.__version__.split("-")[0], framework_threads, info
