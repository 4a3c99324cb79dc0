"""The memory a peer's call takes beyond what the child already holds: the peak resident set during
the call minus the resident set just before it (Linux: /proc/self/clear_refs and /proc/self/status)."""


def resident_bytes():
    """(VmRSS, VmHWM) of this process in bytes, or None where /proc/self/status does not give them."""
    found = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[name] = int(value.split()[0]) * 1024  # reported in kB
    except (OSError, ValueError):
        return None
    return (found["VmRSS"], found["VmHWM"]) if len(found) == 2 else None


def reset_peak():
    """Sets VmHWM back to the current VmRSS (writing 5 to clear_refs, Linux 4.0 on); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def extra_peak_bytes(call):
    """(call's result, bytes its peak resident set rose above the resident set before it).
    The bytes are None where the peak cannot be reset or read. Memory the call allocates and frees
    counts; memory a runtime allocated before the call (at compilation, say) does not."""
    before = resident_bytes() if reset_peak() else None
    result = call()
    after = resident_bytes() if before is not None else None
    if after is None:
        return result, None
    # The peak is at least the resident set read just after the reset; max() only guards against
    # the kernel's per-thread RSS counters lagging by a few pages.
    return result, max(0, after[1] - before[0])
