"""Max |error| of attnbench eval against NumPy float64 attention on the rounded inputs, per type."""
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts" / "tests"))
import numpy as np
import test_eval_types as t

print("case | variant | dtype | kv | max_abs_error | tolerance")
for case in t.CASES:
    name, b, h, hkv, nq, nk, d, causal, dtype, kv_file, kv_flag = case
    for variant in t.VARIANTS:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            rng = np.random.default_rng(t.CASES.index(case) * 101 + t.VARIANTS.index(variant))
            q = t.save(tmp / "q.npy", rng.uniform(-1, 1, (b, h, nq, d)), dtype)
            k = t.save(tmp / "k.npy", rng.uniform(-1, 1, (b, hkv, nk, d)), kv_file)
            v = t.save(tmp / "v.npy", rng.uniform(-1, 1, (b, hkv, nk, d)), kv_file)
            if kv_flag == "q8_0":
                k, v = t.quantize_q8_0(k), t.quantize_q8_0(v)
            args = [t.BINARY, "eval", "--variant", variant, "--query", "q.npy", "--key", "k.npy",
                    "--value", "v.npy", "--output", "o.npy"] + (["--causal"] if causal else []) + (["--kv-dtype", kv_flag] if kv_flag else [])
            subprocess.run(args, cwd=tmp, check=True, capture_output=True)
            out = t.load(tmp / "o.npy", dtype).astype(np.float64)
            err = np.abs(out - t.reference(q, k, v, causal, 1 / np.sqrt(d))).max()
            print(f"{name} | {variant} | {dtype} | {kv_flag or kv_file} | {err:.3g} | {t.TOLERANCE[dtype]:.3g}")
