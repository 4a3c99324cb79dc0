"""PyTorch's peers: `scaled_dot_product_attention` with the backend forced to FLASH_ATTENTION (the
CPU flash kernel) or MATH (unfused), or left to PyTorch's dispatch, in fp32, and the flash and
dispatched ones also in bf16 and fp16, on inputs converted once outside the timing, with what ran:
the backend and type, and for the dispatched ones the backend PyTorch's dispatch chooses.

Grouped-query shapes pass enable_gqa=True (PyTorch 2.5 on); a backend that refuses it gets K and V
repeated (repeat_interleave) once, outside the timing, and the path says so. PyTorch's is_causal is
top-left aligned when Nq ≠ Nk, so it is used only at Nq = Nk without a window; otherwise an
explicit boolean attn_mask (built once) carries the bottom-right causal or sliding-window mask, and
a shape where every row sees every key (one decode row) gets no mask."""

from .shapes import *  # noqa: F401,F403

# pytorch-<variant>: (backend forced, or None for PyTorch's dispatch; type computed in).
PYTORCH_VARIANTS = {
    "sdpa-flash": ("FLASH_ATTENTION", "f32"), "sdpa-math": ("MATH", "f32"), "sdpa-default": (None, "f32"),
    "sdpa-flash-bf16": ("FLASH_ATTENTION", "bf16"), "sdpa-flash-f16": ("FLASH_ATTENTION", "f16"),
    "sdpa-default-bf16": (None, "bf16"), "sdpa-default-f16": (None, "f16"),
}


def dispatched_backend(torch, SDPBackend, q, k, v, options):
    """The name of the backend PyTorch's dispatch picks for these tensors ('FLASH_ATTENTION'), or
    'unknown' where this PyTorch does not say."""
    try:
        choice = int(torch._fused_sdp_choice(q, k, v, **options))
    except (AttributeError, RuntimeError, TypeError):
        return "unknown"
    names = [name for name in dir(SDPBackend) if name.isupper() and int(getattr(SDPBackend, name).value) == choice]
    return names[0] if names else f"backend {choice}"


def pytorch_runtime(np, spec, q, k, v):
    """(build, version, framework_threads, info) for the child. Q, K and V are converted to the
    variant's type once; the call is one `scaled_dot_product_attention` under no_grad. A forced
    backend that does not take the type raises PyTorch's own error (the row's message)."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    torch.set_num_threads(spec["threads"])
    shape = shape_of(spec)
    forced, precision = PYTORCH_VARIANTS[spec["variant"]]
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[precision]
    tq, tk, tv = (torch.from_numpy(x).to(dtype).contiguous() for x in (q, k, v))
    backend = getattr(SDPBackend, forced) if forced else None
    attention = torch.nn.functional.scaled_dot_product_attention
    options = {}
    kind = shape.masking()
    if kind == "causal":
        options["is_causal"] = True
        notes = ["is_causal" + shape.window_note()]
    elif kind == "mask":
        options["attn_mask"] = torch.from_numpy(shape.mask(np))
        notes = ["bool attn_mask: " + shape.mask_note()]
    else:
        notes = [shape.mask_note()]

    def run(key, value, extra):
        with torch.no_grad():
            if backend is None:
                return attention(tq, key, value, **options, **extra)
            with sdpa_kernel(backend):
                return attention(tq, key, value, **options, **extra)

    if shape.group > 1:
        try:  # one untimed call: does this backend take the K/V heads as they are?
            run(tk, tv, {"enable_gqa": True})
            options["enable_gqa"] = True
            notes.append(f"GQA native: enable_gqa=True, {shape.kv_heads} K/V heads")
        except (RuntimeError, TypeError) as error:
            tk, tv = (x.repeat_interleave(shape.group, dim=1).contiguous() for x in (tk, tv))
            reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else type(error).__name__
            notes.append(f"GQA by repeat_interleave to {shape.heads} K/V heads outside the timing "
                         f"(enable_gqa refused: {reason})")
    chosen = dispatched_backend(torch, SDPBackend, tq, tk, tv, options)
    head = (f"PyTorch's SDPA dispatch {precision} -> {chosen}" if backend is None
            else f"sdpa_kernel({forced}) {precision}")
    info = {"precision": precision, "path": "; ".join([head] + notes),
            "kv_element_bytes": 4 if precision == "f32" else 2}

    def build(candidate):
        def call():
            return run(tk, tv, {})
        return call, lambda out: out.float().numpy()

    return build, torch.__version__, lambda: torch.get_num_threads(), info
