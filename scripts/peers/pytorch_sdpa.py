"""PyTorch's peers: `scaled_dot_product_attention` with the backend forced to FLASH_ATTENTION (the
CPU flash kernel) or MATH (unfused), or left to PyTorch's dispatch, in fp32, and the flash and
dispatched ones also in bf16 and fp16, on inputs converted once outside the timing, with what ran:
the backend and type, and for the dispatched ones the backend PyTorch's dispatch chooses."""

# pytorch-<variant>: (backend forced, or None for PyTorch's dispatch; type computed in).
PYTORCH_VARIANTS = {
    "sdpa-flash": ("FLASH_ATTENTION", "f32"), "sdpa-math": ("MATH", "f32"), "sdpa-default": (None, "f32"),
    "sdpa-flash-bf16": ("FLASH_ATTENTION", "bf16"), "sdpa-flash-f16": ("FLASH_ATTENTION", "f16"),
    "sdpa-default-bf16": (None, "bf16"), "sdpa-default-f16": (None, "f16"),
}


def dispatched_backend(torch, SDPBackend, q, k, v, causal):
    """The name of the backend PyTorch's dispatch picks for these tensors ('FLASH_ATTENTION'), or
    'unknown' where this PyTorch does not say."""
    try:
        choice = int(torch._fused_sdp_choice(q, k, v, is_causal=causal))
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
    causal = spec["causal"]
    forced, precision = PYTORCH_VARIANTS[spec["variant"]]
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[precision]
    tq, tk, tv = (torch.from_numpy(x).to(dtype).contiguous() for x in (q, k, v))
    backend = getattr(SDPBackend, forced) if forced else None
    chosen = dispatched_backend(torch, SDPBackend, tq, tk, tv, causal)
    if backend is None:
        path = f"PyTorch's SDPA dispatch {precision} -> {chosen}"
    else:
        path = f"sdpa_kernel({forced}) {precision}"
    info = {"precision": precision, "path": path}
    attention = torch.nn.functional.scaled_dot_product_attention

    def build(candidate):
        def call():
            with torch.no_grad():
                if backend is None:
                    return attention(tq, tk, tv, is_causal=causal)
                with sdpa_kernel(backend):
                    return attention(tq, tk, tv, is_causal=causal)
        return call, lambda out: out.float().numpy()

    return build, torch.__version__, lambda: torch.get_num_threads(), info
