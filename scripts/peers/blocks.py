"""Block candidates for the peers with blocks, and the best-of choice among them."""

from .constants import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .jax_kernels import *  # noqa: F401,F403


# ---- Block candidates and the best-of choice -----------------------------------------------

def split_axis(batch, heads, devices, kv_heads=None):
    """The axis of (batch, heads, N, d) that `devices` CPU devices split evenly: heads (1), when both
    the query heads and the K/V heads divide (each device keeps whole groups), else batch (0), else
    None. One device needs no split (None)."""
    if devices < 2:
        return None
    if heads % devices == 0 and (kv_heads or heads) % devices == 0:
        return 1
    if batch % devices == 0:
        return 0
    return None


TILED_VARIANTS = ("flash-tiled", "flash-tiled-bf16")


def block_candidates(framework, variant, n, blocks_q, blocks_kv, batch=1, heads=1, threads=1, n_kv=None,
                     kv_heads=None):
    """(block_q, block_kv, devices) a peer is tried at, blocks clamped to Nq and Nk (n and n_kv,
    which defaults to n), deduplicated, in order; [(0, 0, 1)] for a peer without blocks.
    jax-flash-tiled (and its bf16 twin) is also tried with its (batch, head) slices split over
    `threads` JAX CPU devices (shard_map), each device a thread, where the slices divide evenly.
    jax-flash-wholequery takes all Nq rows (block_q = Nq) and only key blocks that divide Nk."""
    n_kv = n if n_kv is None else n_kv
    if framework == "jax" and variant in TILED_VARIANTS:
        devices = [1] + ([threads] if split_axis(batch, heads, threads, kv_heads) is not None else [])
        found = [clamp_blocks(n, bq, bk, n_kv) + (c,) for c in devices for bq in blocks_q for bk in blocks_kv]
    elif (framework, variant) == ("jax", "flash-wholequery"):
        found = [(n, min(bk, n_kv), 1) for bk in blocks_kv if n_kv % min(bk, n_kv) == 0]
        if not found:
            raise Unsupported(f"jax flash-wholequery needs a key block dividing seq_len {n_kv}; "
                              f"none of --jax-block-kv {','.join(map(str, blocks_kv))} does")
    else:
        return [(0, 0, 1)]
    return list(dict.fromkeys(found))


def choose_best(trials, tolerance=ERROR_TOLERANCE):
    """The fastest trial whose error is within tolerance: trials are (candidate, seconds, error).
    Ties keep the first. Falls back to the fastest of all (its row is then 'incorrect')."""
    correct = [t for t in trials if t[2] <= tolerance]
    return min(correct or trials, key=lambda t: t[1])


def format_block_search(trials, tolerance=ERROR_TOLERANCE):
    """'128x256:0.412 … 256x512/2:0.2' (block_q x block_kv, /devices when split, seconds: best of
    the tuning calls); '!' marks an error above tolerance. Empty for a single candidate."""
    if len(trials) < 2:
        return ""
    return " ".join(f"{bq}x{bk}{f'/{devices}' if devices > 1 else ''}:{seconds:.4g}{'!' if error > tolerance else ''}"
                    for (bq, bk, devices), seconds, error in trials)
