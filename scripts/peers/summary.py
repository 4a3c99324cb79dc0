"""The table printed at the end of a run: GFLOP/s (and K/V GB/s) min–max over rounds per shape,
thread count and peer."""


def split_suffix(devices):
    """' /2' for a row split over 2 devices, '' for one device or none recorded."""
    return "" if str(devices) in ("", "1") else f" /{devices}"


def mebibytes(values):
    """'512.3' (MiB, the largest of the rounds) from extra_peak_memory_bytes values; '' if none."""
    found = [int(v) for v in values if str(v).strip() not in ("", "None")]
    return f"{max(found) / 2 ** 20:.1f}" if found else ""


def span(values, digits=1):
    values = sorted(values)
    if not values:
        return ""
    low, high = f"{values[0]:.{digits}f}", f"{values[-1]:.{digits}f}"
    return low if low == high else f"{low}–{high}"


def shape_label(row):
    """What sets a row's shape apart beyond N, d and causal: 'llama-3-8b, H32/8, Nq 1, W4096' (model,
    query/K-V heads when fewer K/V heads, query length when not N, window); '' for none."""
    parts = [str(row["model"])] if row.get("model") else []
    heads, kv_heads = str(row.get("heads", "")), str(row.get("kv_heads", "") or row.get("heads", ""))
    if kv_heads != heads:
        parts.append(f"H{heads}/{kv_heads}")
    if str(row.get("seq_len_q", "") or row["seq_len"]) != str(row["seq_len"]):
        parts.append(f"Nq {row['seq_len_q']}")
    if row.get("window") not in (None, ""):
        parts.append(f"W{row['window']}")
    return ", ".join(parts)


def summary_table(rows):
    """Markdown: GFLOP/s min–max over rounds per (shape, causal, threads) and peer, with the K/V read
    rate where a row has one, the blocks the peer chose, the ceilings attnbench measured beside it,
    the extra peak memory of its first call (the largest over rounds) and what it ran (path)."""
    groups = {}
    for row in rows:
        if row.get("status") not in ("ok", ""):
            continue
        key = (shape_label(row), int(row["seq_len"]), int(row["head_dim"]), row["causal"], int(row["threads"]))
        groups.setdefault(key, {}).setdefault(f"{row['framework']}-{row['variant']}", []).append(row)
    lines = ["| N | d | causal | threads | peer | GFLOP/s (min–max) | blocks (q×kv) | FMA peak | sgemm peak "
             "| extra peak MiB | path |",
             "|---:|---:|---|---:|---|---:|---|---:|---:|---:|---|"]
    for key in sorted(groups, key=lambda k: (k[1], k[2], k[3], k[4], k[0])):
        peers = groups[key]
        for name in sorted(peers, key=lambda p: -max(float(r["gflops"]) for r in peers[p])):
            found = peers[name]
            rate = span([float(r["gflops"]) for r in found])
            gbps = [float(r["kv_read_gbps"]) for r in found if r.get("kv_read_gbps") not in (None, "")]
            if gbps and str(found[0].get("seq_len_q", "")) not in ("", str(found[0]["seq_len"])):
                rate += f" ({span(gbps, 2)} GB/s K/V)"
            blocks = sorted({f"{r['block_q']}×{r['block_kv']}" + split_suffix(r.get("devices", ""))
                             for r in found if r.get("block_kv")})
            fma = sorted({r["fma_peak_gflops"] for r in found if r.get("fma_peak_gflops")})
            sgemm = sorted({r["sgemm_peak_gflops"] for r in found if r.get("sgemm_peak_gflops")})
            paths = sorted({r["path"] for r in found if r.get("path")})
            shape = f"{key[1]}" + (f" ({key[0]})" if key[0] else "")
            lines.append(f"| {shape} | {key[2]} | {key[3]} | {key[4]} | {name} | {rate} | {', '.join(blocks)} "
                         f"| {'/'.join(fma)} | {'/'.join(sgemm)} "
                         f"| {mebibytes(r.get('extra_peak_memory_bytes', '') for r in found)} | {'; '.join(paths)} |")
    return "\n".join(lines)
