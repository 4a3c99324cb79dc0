"""The shape of one measurement, as attnbench defines it (AttentionProblem): Q is [B, H, Nq, d], K and
V are [B, H_kv, Nk, d], query head h reads K/V head h // (H / H_kv) (the contiguous grouping of
Hugging Face's repeat_kv), and query row i sits at key position p(i) = i + (Nk − Nq): the queries
are the last Nq positions (bottom-right alignment, as with a KV cache). Causal: row i sees the keys
j ≤ p(i); a sliding window W (always causal) also hides the keys j ≤ p(i) − W. From these: the
visible (query, key) pairs the useful FLOPs count, the K/V bytes a call must read, and how a runtime
is told the mask."""

import dataclasses

from .constants import *  # noqa: F401,F403


@dataclasses.dataclass(frozen=True)
class Shape:
    batch: int
    heads: int
    kv_heads: int
    seq_len_q: int
    seq_len: int  # keys (and values): Nk
    head_dim: int
    causal: bool
    window: int = None  # as asked (by --window or a model preset); None for full attention
    model: str = ""

    def __post_init__(self):
        if self.kv_heads < 1 or self.heads % self.kv_heads:
            raise ValueError(f"--kv-heads {self.kv_heads} must divide --heads {self.heads}")
        if not 1 <= self.seq_len_q <= self.seq_len:
            raise ValueError(f"query length {self.seq_len_q} must be in 1..{self.seq_len} (the key length)")
        if self.window is not None and (self.window < 1 or not self.causal):
            raise ValueError(f"a sliding window ({self.window}) must be at least 1 and causal")

    @property
    def group(self):
        """Query heads per K/V head."""
        return self.heads // self.kv_heads

    @property
    def offset(self):
        """Nk − Nq: query row i is aligned with key position i + offset."""
        return self.seq_len - self.seq_len_q

    @property
    def active_window(self):
        """The window if it hides any key, else None: at Nk ≤ W every row already sees all its keys."""
        return self.window if self.window is not None and self.window < self.seq_len else None

    def key_range(self, row):
        """(first, end): query row `row` sees keys first ≤ j < end."""
        end = min(self.seq_len, row + self.offset + 1) if self.causal else self.seq_len
        window = self.active_window
        first = max(0, row + self.offset - window + 1) if window is not None else 0
        return first, end

    def visible_pairs(self):
        """Visible (query, key) pairs of one (batch, head) slice."""
        return sum(max(0, end - first) for first, end in map(self.key_range, range(self.seq_len_q)))

    def key_span(self):
        """Keys some query row sees: key_range(first row)[0] ..< key_range(last row)[1] (both monotone)."""
        return self.key_range(0)[0], self.key_range(self.seq_len_q - 1)[1]

    def all_visible(self):
        """True when every query row sees every key (no mask at all is needed)."""
        return self.key_range(0)[1] == self.seq_len and self.key_range(self.seq_len_q - 1)[0] == 0

    def masking(self):
        """How a runtime whose own causal flag is top-left aligned (PyTorch, JAX, OpenVINO, ONNX) is told
        the mask: 'none' (every key visible: no mask, e.g. one decode row), 'causal' (Nq = Nk and no
        active window: the runtime's causal flag is exact), or 'mask' (an explicit mask)."""
        if self.all_visible():
            return "none"
        if self.causal and self.seq_len_q == self.seq_len and self.active_window is None:
            return "causal"
        return "mask"

    def mask(self, np):
        """Boolean [Nq, Nk]: True where query row i sees key j."""
        rows = np.arange(self.seq_len_q)[:, None] + self.offset
        cols = np.arange(self.seq_len)[None, :]
        visible = np.ones((self.seq_len_q, self.seq_len), bool)
        if self.causal:
            visible &= cols <= rows
        if self.active_window is not None:
            visible &= cols > rows - self.active_window
        return visible

    def mask_note(self):
        """What the masking is, for a row's path."""
        kind = self.masking()
        if kind == "none":
            note = "no mask (every query row sees every key)"
        elif kind == "causal":
            note = "causal"
        else:
            windowed = "sliding-window " if self.active_window is not None else ""
            note = f"bottom-right {windowed}causal mask [{self.seq_len_q}x{self.seq_len}]"
        return note + self.window_note()

    def window_note(self):
        """' (window W >= N keys: it hides nothing)' for a window that changes nothing, else ''."""
        if self.window is not None and self.active_window is None:
            return f" (window {self.window} >= {self.seq_len} keys: it hides nothing)"
        return ""

    def useful_flops(self):
        return useful_flops(self.batch, self.heads, self.seq_len, self.head_dim, self.causal, self.seq_len_q,
                            self.active_window)

    def kv_bytes(self, element_bytes):
        """Bytes of K and V the visible keys occupy, stored at `element_bytes` per element (34/32 for
        q8_0): 2·B·H_kv·(keys some row sees)·d·element_bytes, attnbench's kv_bytes at that element size."""
        first, end = self.key_span()
        return int(round(2 * self.batch * self.kv_heads * (end - first) * self.head_dim * element_bytes))

    def spec(self):
        """The fields of the child's spec that describe the shape."""
        return {"batch": self.batch, "heads": self.heads, "kv_heads": self.kv_heads, "seq_len_q": self.seq_len_q,
                "seq_len": self.seq_len, "head_dim": self.head_dim, "causal": self.causal,
                "window": self.window}


def shape_of(spec):
    """The Shape a child's spec describes."""
    return Shape(spec["batch"], spec["heads"], spec.get("kv_heads", spec["heads"]),
                 spec.get("seq_len_q", spec["seq_len"]), spec["seq_len"], spec["head_dim"], spec["causal"],
                 spec.get("window"))


def useful_flops(batch, heads, seq_len, head_dim, causal, seq_len_q=None, window=None):
    """attnbench's useful FLOPs: flops_per_visible_score (4) · d per visible (query, key) pair per
    query head. seq_len is the key length; seq_len_q (default: seq_len) the query length."""
    shape = Shape(batch, heads, heads, seq_len if seq_len_q is None else seq_len_q, seq_len, head_dim,
                  causal or window is not None, window)
    return float(FLOPS_PER_VISIBLE_SCORE) * batch * heads * shape.visible_pairs() * head_dim


def keyword_or_integers(text, keyword, is_valid, bad_integer, bad_value):
    """A comma-separated list of `keyword` (None) and integers, each kept once, in order; an item that
    is neither exits with `bad_integer`, an integer that is not `is_valid` with `bad_value(value)`."""
    values = []
    for item in text.split(","):
        item = item.strip()
        if item == keyword:
            values.append(None)
            continue
        try:
            value = int(item)
        except ValueError:
            raise SystemExit(bad_integer)
        if not is_valid(value):
            raise SystemExit(bad_value(value))
        values.append(value)
    return list(dict.fromkeys(values))


def query_lengths(text, key_lengths):
    """--query-len: 'seq' (the key length: prefill) or lengths ≤ every key length, comma-separated.
    Returns a list of None (for seq) and ints."""
    shortest = min(key_lengths)
    return keyword_or_integers(
        text, "seq", lambda value: 1 <= value <= shortest, f"--query-len: expected 'seq' or integers, got {text!r}",
        lambda value: f"--query-len: {value} must be in 1..{shortest} (the shortest --seq-len)")


def windows(text):
    """--window: 'none' or widths in keys, comma-separated: a list of None and ints."""
    message = f"--window: expected 'none' or widths >= 1, got {text!r}"
    return keyword_or_integers(text, "none", lambda value: value >= 1, message, lambda value: message)
