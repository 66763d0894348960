#!/usr/bin/env python3
"""Checks every exported model under tests/models/{demos,variants} with onnxruntime.

Run with the pyenv python3 (onnxruntime 1.20.1, onnx 1.17):

    python3 tools/export/check_with_ort.py [--models-dir tests/models] [--ort-opt-level all|disable]

For <name>.onnx, ORT's output on ref['input'] must match ref['output_fp32']; for
<name>.train.onnx, on ref['train_input'] (else ref['input']) it must match
ref['train_output_fp32']. Tolerance: max|ort - ref| <= 1e-4 * max|ref|. Also checked: opset 14,
input 'input' / output 'logits' with symbolic batch dim 'N'; for eval graphs without batch
coupling, running the first half of the batch alone gives the same rows (the batch dim is really
dynamic); for demos, every initializer named like a state_dict entry equals the saved
<name>.weights.npz. Prints a table; exits 1 on any failure.
"""
import argparse
import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_graph  # noqa: E402

TOL = 1e-4


def rel_err(a, ref):
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    return float(np.max(np.abs(a.astype(np.float64) - ref.astype(np.float64)))) / scale


def session(path, level):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                   "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL}[level]
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def batch_coupled(model):
    """True when one sample's output depends on the others (batch statistics)."""
    for n in model.graph.node:
        if n.op_type == "ReduceMean":
            return True
        if n.op_type == "BatchNormalization" and onnx_graph.attr_value(n, "training_mode", 0):
            return True
    return False


def check_io(model):
    problems = []
    if onnx_graph.opset_of(model) != 14:
        problems.append(f"opset {onnx_graph.opset_of(model)}")
    ins = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    for vis, name in ((ins, "input"), (model.graph.output, "logits")):
        if len(vis) != 1 or vis[0].name != name:
            problems.append(f"graph {name}s: {[v.name for v in vis]}")
            continue
        d0 = vis[0].type.tensor_type.shape.dim[0]
        if d0.dim_param != "N":
            problems.append(f"{name} batch dim is not symbolic 'N'")
    return problems


def check_weights(model, weights_path):
    if not os.path.exists(weights_path):
        return []
    problems = []
    with np.load(weights_path) as w:
        for init in model.graph.initializer:
            if init.name in w.files:
                a, b = onnx.numpy_helper.to_array(init), w[init.name]
                if a.shape != b.shape or a.astype(b.dtype).tobytes() != b.tobytes():
                    problems.append(f"initializer {init.name} != weights.npz")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(HERE, "..", "..", "tests", "models"))
    ap.add_argument("--ort-opt-level", choices=["all", "disable"], default="all")
    args = ap.parse_args()
    root = os.path.abspath(args.models_dir)
    paths = sorted(glob.glob(os.path.join(root, "demos", "*.onnx"))) + \
        sorted(glob.glob(os.path.join(root, "variants", "*.onnx")))
    if not paths:
        print(f"no models under {root}")
        return 1
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, tolerance {TOL:g} x max|ref|")
    hdr = (f"{'model':44s} {'N':>3s} {'max|ref|':>9s} {'ORT err':>9s} {'fp32/64':>9s} "
           f"{'split':>9s}  result")
    print(hdr)
    print("-" * len(hdr))
    failures = 0
    for path in paths:
        rel = os.path.relpath(path, root)
        base = path[:-len(".onnx")]
        train = base.endswith(".train")
        stem = base[:-len(".train")] if train else base
        model = onnx.load(path)
        problems = check_io(model) + check_weights(model, stem + ".weights.npz")
        with np.load(stem + ".ref.npz") as ref:
            x = ref["train_input"] if train and "train_input" in ref.files else ref["input"]
            want = ref["train_output_fp32" if train else "output_fp32"]
            want64 = ref["train_output_fp64" if train else "output_fp64"]
        cells = ["-"] * 3
        try:
            sess = session(path, args.ort_opt_level)
            got = sess.run(["logits"], {"input": x})[0]
            err = rel_err(got, want)
            cells[0] = f"{err:9.2e}"
            if got.shape != want.shape or err > TOL:
                problems.append(f"ORT output differs (rel err {err:.3g}, shape {got.shape})")
            cells[1] = f"{rel_err(want, want64):9.2e}"
            if not train and not batch_coupled(model):
                half = x.shape[0] // 2
                part = sess.run(["logits"], {"input": x[:half]})[0]
                e2 = rel_err(part, got[:half])
                cells[2] = f"{e2:9.2e}"
                if e2 > TOL:
                    problems.append(f"batch of {half} disagrees with the full batch ({e2:.3g})")
        except Exception as e:  # noqa: BLE001 - report and go on
            problems.append(f"ORT failed: {str(e).splitlines()[0][:200]}")
        ok = not problems
        failures += not ok
        print(f"{rel:44s} {x.shape[0]:3d} {float(np.max(np.abs(want))):9.3g} {cells[0]:>9s} "
              f"{cells[1]:>9s} {cells[2]:>9s}  {'ok' if ok else 'FAIL: ' + '; '.join(problems)}")
    print(f"\n{len(paths) - failures}/{len(paths)} models pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
