"""OpenVINO's peers: one opset-13 ScaledDotProductAttention node (causal through its `causal`
attribute) compiled for the CPU at an INFERENCE_PRECISION_HINT of f32, bf16 or f16, with what the
compiled model reports it runs: the precision the hint became and the layers the plugin made of
the node."""

import collections

from .constants import *  # noqa: F401,F403

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

    b, h, n, d, causal, threads = (spec[key] for key in ("batch", "heads", "seq_len", "head_dim", "causal",
                                                         "threads"))
    asked = OPENVINO_HINTS[spec["variant"]]
    info = {"precision": asked, "path": ""}
    core = ov.Core()
    held = {}

    def build(candidate):
        parameters = [opset13.parameter([b, h, n, d], ov.Type.f32, name=name) for name in ("q", "k", "v")]
        attention = opset13.scaled_dot_product_attention(*parameters, causal=causal)
        model = ov.Model([attention], parameters, "sdpa")
        # One stream of `threads` threads for one request at a time: the latency configuration.
        compiled = core.compile_model(model, "CPU", {
            hints.inference_precision(): asked, properties.inference_num_threads(): threads,
            hints.performance_mode(): hints.PerformanceMode.LATENCY, properties.num_streams(): 1})
        ran = compiled.get_property(hints.inference_precision()).get_type_name()
        if ran not in UNIT_ROUNDOFF:
            raise RuntimeError(f"openvino compiled INFERENCE_PRECISION_HINT {asked} as {ran}, which is not checked")
        info["precision"] = ran
        info["path"] = (f"INFERENCE_PRECISION_HINT {asked} -> {ran}; "
                        f"{openvino_layers(ov, compiled)}")
        request = compiled.create_infer_request()
        for index, x in enumerate((q, k, v)):
            request.set_input_tensor(index, ov.Tensor(x))
        output = request.get_output_tensor(0)
        held["compiled"] = compiled

        def call():
            request.infer(share_outputs=True)  # the output stays in the request's tensor: no copy
        return call, lambda _: np.array(output.data)

    def framework_threads():
        return held["compiled"].get_property(properties.inference_num_threads()) if held else ""

    return build, ov.__version__.split("-")[0], framework_threads, info
