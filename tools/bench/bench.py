#!/usr/bin/env python3
"""kiln vs ONNX Runtime vs PyTorch eager on the demo models, in one process, on the same inputs.

See README.md in this folder for the setup and what each column means. Run from anywhere:
    python3 tools/bench/bench.py [--build build-perf] [--rounds 9] ...
The script re-executes itself inside .venv-bench (created on first use)."""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.join(ROOT, ".venv-bench")
VENV_PY = os.path.join(VENV, "bin", "python3")
DEMOS = ["mlp", "mlp_bn", "naive_bn_mlp", "bn1d_ncl", "lenet_bn", "lenet_handwritten_bn",
         "conv_relu_bn_pool"]


def ensure_venv():
    """torch comes from Debian (/usr/bin/python3); onnxruntime 1.20.1 is pip-installed into a
    venv that sees the system site-packages, so both load in one process."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PY):
        subprocess.check_call(["/usr/bin/python3", "-m", "venv", "--system-site-packages", VENV])
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "-q", "onnxruntime==1.20.1"])
    os.execv(VENV_PY, [VENV_PY] + sys.argv)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build-perf", help="kiln build folder (compile tool, runtime)")
    p.add_argument("--cli", default="build/bin/kiln", help="kiln CLI for --emit onnx (optional)")
    p.add_argument("--models", default=",".join(DEMOS))
    p.add_argument("--batches", default="1,64,256")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=9, help="interleaved rounds; medians are reported")
    p.add_argument("--target-ms", type=float, default=10.0, help="time per engine per round")
    p.add_argument("--layer-batches", default="1,256", help="batches for the per-layer GFLOP/s table")
    p.add_argument("--no-layers", action="store_true")
    p.add_argument("--no-capi", action="store_true", help="skip the kiln C API vs ORT C API table (capi_bench.c)")
    p.add_argument("--work", default="/tmp/kiln-bench", help="folder for artifacts")
    p.add_argument("--compiler", choices=["tool", "cli"], default="tool",
                   help="build artifacts with BUILD/bin/kiln_cpu_compile_tool (default) or `CLI compile --emit so`")
    p.add_argument("--kiln-flags", default="", help="extra kiln_cpu_compile_tool flags, e.g. --no-microkernels")
    return p.parse_args()


def abspath(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def compile_kiln(args, onnx_path, out, fold=True):
    """Builds the artifact .so; returns the compile time in ms (import + passes + codegen + link):
    printed by kiln_cpu_compile_tool, or the wall time of `kiln compile` with --compiler cli."""
    if args.compiler == "cli":
        cmd = [abspath(args.cli), "compile", onnx_path, "--emit", "so", "-o", out]
    else:
        cmd = [os.path.join(abspath(args.build), "bin", "kiln_cpu_compile_tool"), onnx_path, out]
    if not fold:
        cmd.append("--no-fold-bn")
    cmd += args.kiln_flags.split()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall_ms = (time.perf_counter() - t0) * 1e3
    if r.returncode != 0:
        raise RuntimeError(f"compile {onnx_path}: {r.stderr.strip()}")
    return wall_ms if args.compiler == "cli" else float(r.stdout.strip())


def emit_kiln_onnx(args, onnx_path, out):
    cli = abspath(args.cli)
    if not os.path.exists(cli):
        return None
    try:
        r = subprocess.run([cli, "compile", onnx_path, "--emit", "onnx", "-o", out], capture_output=True, text=True)
    except OSError:  # the CLI is being rebuilt
        return None
    return out if r.returncode == 0 else None


def calibrate(run, target_s):
    run()
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            run()
        t = time.perf_counter() - t0
        if t >= target_s / 4 or n >= 1 << 20:
            return max(1, int(n * target_s / max(t, 1e-9)))
        n *= 4


def measure(engines, x, threads, rounds, target_s):
    """Median seconds per call of each engine; engines interleave within every round."""
    import numpy as np
    outs, calls, samples = {}, {}, {k: [] for k in engines}
    for k, e in engines.items():
        e.bind(x, threads)
        outs[k] = np.array(e.run(), copy=True)
        calls[k] = calibrate(e.run, target_s)
    for _ in range(rounds):
        for k, e in engines.items():
            run, n = e.run, calls[k]
            t0 = time.perf_counter()
            for _ in range(n):
                run()
            samples[k].append((time.perf_counter() - t0) / n)
    return {k: statistics.median(v) for k, v in samples.items()}, outs


def max_diff(a, b):
    import numpy as np
    if a.shape != b.shape:
        return float("inf")
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.abs(a.astype(np.float64) - b)
    d[both_nan] = 0
    return float(np.nanmax(d)) if d.size else 0.0


def build_peak(work):
    """(AVX2 peak, AVX-512 peak or None) in GFLOP/s of one core."""
    exe = os.path.join(work, "fma_peak")
    subprocess.check_call(["cc", "-O3", "-march=native", os.path.join(HERE, "fma_peak.c"), "-o", exe])
    vals = [float(v) for v in subprocess.check_output([exe]).decode().split()]
    return vals[0], (vals[1] if len(vals) > 1 else None)


def call_overhead(args, rt_lib_dir, work):
    import onnx
    from layers import tiny_model
    tiny = os.path.join(work, "tiny.onnx")
    onnx.save(tiny_model(), tiny)
    so = os.path.join(work, "tiny.so")
    compile_kiln(args, tiny, so)
    exe = os.path.join(work, "call_overhead")
    subprocess.check_call(["cc", "-O2", "-I", os.path.join(ROOT, "runtime", "include"),
                           os.path.join(HERE, "call_overhead.c"), "-o", exe, "-L", rt_lib_dir,
                           "-lkiln_runtime", "-Wl,-rpath," + rt_lib_dir])
    return {t: float(subprocess.check_output([exe, so, str(t)]).decode().strip()) for t in (1, 2)}


def build_capi(rt_lib_dir, work):
    """Compiles capi_bench.c (kiln C API vs ORT C API in one process); returns (exe, ORT library)."""
    import onnxruntime
    exe = os.path.join(work, "capi_bench")
    subprocess.check_call(["cc", "-O2", "-I", os.path.join(ROOT, "runtime", "include"),
                           os.path.join(HERE, "capi_bench.c"), "-o", exe, "-L", rt_lib_dir,
                           "-lkiln_runtime", "-Wl,-rpath," + rt_lib_dir, "-ldl", "-lm"])
    lib = os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so." + onnxruntime.__version__)
    return exe, lib


def run_capi(args, capi, so, onnx_path, batch, threads):
    """One capi_bench run: {'kiln_us', 'ort_us', 'maxdiff', 'maxabs'}, or {'error': message}."""
    exe, ort_lib = capi
    r = subprocess.run([exe, ort_lib, so, onnx_path, str(batch), str(threads), str(args.rounds), str(args.target_ms)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": r.stderr.strip() or f"exit status {r.returncode}"}
    return {k: float(v) for k, v in (f.split("=") for f in r.stdout.split())}


def fmt_us(s):
    return f"{s * 1e6:10.1f}"


def main():
    # Idle worker threads must not spin into the next engine's timing: PyTorch's OpenMP pool
    # busy-waits after each op by default (ORT's pool is set up likewise in engines.py).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    ensure_venv()
    import numpy as np
    sys.path.insert(0, HERE)
    from engines import KilnEngine, OrtEngine, TorchEngine
    from kiln_runtime import Runtime
    args = parse_args()
    os.makedirs(args.work, exist_ok=True)
    rt_dir = os.path.join(abspath(args.build), "lib")
    rt = Runtime(os.path.join(rt_dir, "libkiln_runtime.so"))
    batches = [int(b) for b in args.batches.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    target_s = args.target_ms / 1e3
    demos = os.path.join(ROOT, "tests", "models", "demos")

    peak256, peak512 = build_peak(args.work)
    peak = max(peak256, peak512 or 0)
    print(f"# FP32 FMA peak of 1 core: {peak256:.1f} GFLOP/s with AVX2 <8 x float> FMA chains"
          + (f", {peak512:.1f} GFLOP/s with AVX-512 <16 x float>" if peak512 else "")
          + f"; % of peak below uses {peak:.1f}")
    ov = call_overhead(args, rt_dir, args.work)
    print(f"# one-op call overhead (Relu [1,1], kiln_run from C): {ov[1]:.0f} ns (1 thread), "
          f"{ov[2]:.0f} ns (2 threads)")
    capi = None if args.no_capi else build_capi(rt_dir, args.work)
    print(f"# rounds={args.rounds} (interleaved), ~{args.target_ms:g} ms per engine per round; "
          "times are medians in microseconds per inference")

    rows, capi_rows, compile_ms = [], [], {}
    rng = np.random.default_rng(0)
    for name in args.models.split(","):
        src = os.path.join(demos, name + ".onnx")
        fold_so, nofold_so = (os.path.join(args.work, f"{name}.{k}.so") for k in ("fold", "nofold"))
        compile_ms[name] = (compile_kiln(args, src, fold_so, True), compile_kiln(args, src, nofold_so, False))
        engines = {"kiln": KilnEngine(rt, fold_so), "kiln_nofold": KilnEngine(rt, nofold_so),
                   "ort": OrtEngine(src)}
        kf = emit_kiln_onnx(args, src, os.path.join(args.work, f"{name}.kiln.onnx"))
        if kf:
            engines["ort_kilngraph"] = OrtEngine(kf)
        engines["torch"] = TorchEngine(name, os.path.join(demos, name + ".weights.npz"))
        for b in batches:
            x = rng.standard_normal((b, 1, 28, 28)).astype(np.float32)
            for t in threads:
                times, outs = measure(engines, x, t, args.rounds, target_s)
                diff = max(max_diff(outs[k], outs["torch"]) for k in outs if k != "torch")
                rows.append((name, b, t, times, diff))
                print_row(rows[-1], flush=True)
                if capi:
                    capi_rows.append((name, b, t, run_capi(args, capi, fold_so, src, b, t)))
                    print_capi_row(capi_rows[-1], flush=True, tag="  (called from C)")

    print_table(rows)
    print_scaling(rows)
    if capi:
        print_capi_table(capi_rows)
    print("\n# compile time (ms, import + passes + LLVM O3 + link): model folded / unfolded")
    for name, (f, u) in compile_ms.items():
        print(f"  {name:22s} {f:8.0f} {u:8.0f}")
    if not args.no_layers:
        print_layers(args, rt, peak, [int(b) for b in args.layer_batches.split(",")])
    if any("error" in r[3] for r in capi_rows):
        sys.exit("capi_bench failed (see the C API table)")


COLS = ["kiln", "kiln_nofold", "ort", "ort_kilngraph", "torch"]
HEADS = ["kiln", "kiln_nf", "ort", "ort_kg", "torch"]


def print_row(r, flush=False):
    name, b, t, times, diff = r
    cells = "".join(fmt_us(times[c]) if c in times else f"{'-':>10s}" for c in COLS)
    k = times["kiln"]
    sp = f"{times['ort'] / k:7.2f}x {times['ort'] / times['kiln_nofold']:7.2f}x {times['torch'] / k:7.2f}x"
    print(f"{name:22s} {b:5d} {t:3d} {cells}  {sp}  {diff:8.1e}", flush=flush)


def print_table(rows):
    print("\n# latency (us, median); speedups: ORT/kiln, ORT/kiln_nofold, torch/kiln; "
          "maxdiff = worst |engine - torch| over the engines")
    print("# columns: kiln = folded, kiln_nf = --no-fold-bn, ort_kg = ORT on kiln's folded graph")
    print(f"{'model':22s} {'batch':>5s} {'thr':>3s} " + "".join(f"{c:>10s}" for c in HEADS)
          + f"  {'ort/kiln':>8s} {'ort/knf':>8s} {'trc/kiln':>8s}  maxdiff")
    for r in rows:
        print_row(r)


def print_capi_row(r, flush=False, tag=""):
    name, b, t, c = r
    if "error" in c:
        print(f"{name:22s} {b:5d} {t:3d}  FAILED: {c['error']}", flush=flush)
    else:
        print(f"{name:22s} {b:5d} {t:3d} {c['kiln_us']:10.1f}{c['ort_us']:10.1f}  {c['ort_us'] / c['kiln_us']:7.2f}x"
              f"  {c['maxdiff']:8.1e}{tag}", flush=flush)


def print_capi_table(rows):
    print("\n# called from C (kiln C API vs ORT C API): capi_bench.c runs kiln_run and ORT's RunWithBinding in one"
          " process,\n# interleaved, on preallocated buffers, with the settings above; latency (us, median);"
          " maxdiff = max |kiln - ORT|")
    print(f"{'model':22s} {'batch':>5s} {'thr':>3s} {'kiln':>10s}{'ort':>10s}  {'ort/kiln':>8s}  maxdiff")
    for r in rows:
        print_capi_row(r)


def print_scaling(rows):
    by = {(n, b, t): times for n, b, t, times, _ in rows}
    print("\n# thread scaling (kiln 1-thread time / 2-thread time; ORT for comparison)")
    for (n, b, t), times in by.items():
        if t == 1 and (n, b, 2) in by:
            two = by[(n, b, 2)]
            print(f"  {n:22s} batch {b:4d}: kiln {times['kiln'] / two['kiln']:5.2f}x  "
                  f"ort {times['ort'] / two['ort']:5.2f}x")


def print_layers(args, rt, peak, batches):
    import numpy as np
    import onnx
    from engines import KilnEngine, OrtEngine
    from layers import extract_layers
    print(f"\n# single layers, 1 thread: GFLOP/s and % of the {peak:.1f} GFLOP/s peak")
    print(f"{'layer':52s} {'kiln us':>10s} {'GF/s':>6s} {'%pk':>5s} {'ort us':>10s} {'GF/s':>6s} {'ort/kiln':>8s} maxdiff")
    seen = set()
    demos = os.path.join(ROOT, "tests", "models", "demos")
    rng = np.random.default_rng(1)
    for name in args.models.split(","):
        for b in batches:
            for label, flops, model in extract_layers(os.path.join(demos, name + ".onnx"), b):
                key = label.split(" ", 1)[1]
                if key in seen:
                    continue
                seen.add(key)
                path = os.path.join(args.work, f"layer{len(seen)}.onnx")
                onnx.save(model, path)
                so = path[:-5] + ".so"
                compile_kiln(args, path, so)
                shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
                x = rng.standard_normal(shape).astype(np.float32)
                eng = {"kiln": KilnEngine(rt, so), "ort": OrtEngine(path)}
                times, outs = measure(eng, x, 1, args.rounds, args.target_ms / 1e3)
                gk, go = flops / times["kiln"] * 1e-9, flops / times["ort"] * 1e-9
                print(f"{key:52s} {fmt_us(times['kiln'])} {gk:6.1f} {100 * gk / peak:4.0f}% "
                      f"{fmt_us(times['ort'])} {go:6.1f} {times['ort'] / times['kiln']:7.2f}x "
                      f"{max_diff(outs['kiln'], outs['ort']):8.1e}")


if __name__ == "__main__":
    main()
