#!/usr/bin/python3
"""Trains, exports and writes references for the seed-notebook demo models.

    /usr/bin/python3 tools/export/export_demos.py            # train if weights are missing, export
    /usr/bin/python3 tools/export/export_demos.py --train    # retrain all, export
    /usr/bin/python3 tools/export/export_demos.py --check    # re-export from the saved weights into
                                                             # a temp dir, compare with the files
Outputs in tests/models/demos/: <name>.onnx (eval), <name>.train.onnx (training mode),
<name>.ref.npz (references), <name>.weights.npz (trained weights). See README.md here.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmnist  # noqa: E402
import onnx_graph  # noqa: E402
from demo_models import DEMOS, handwritten_bn_modules  # noqa: E402
from export_common import (export_onnx, load_state_arrays, reference_forward,  # noqa: E402
                           running_stats, state_arrays)

OUT_DIR = os.path.join(HERE, "..", "..", "tests", "models", "demos")
TRAIN_SUBSET = 30000   # images of the (seeded) shuffled training set used for the single epoch
REF_BATCH = 64         # the first 64 Fashion-MNIST test images
SEED = 1234


def train(name, model, x, y):
    _, lr, batch, _ = DEMOS[name]
    g = torch.Generator().manual_seed(SEED)
    perm = torch.randperm(len(x), generator=g)[:TRAIN_SUBSET]
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    with torch.enable_grad():
        for i in range(0, TRAIN_SUBSET - batch + 1, batch):  # no ragged last batch (BN)
            idx = perm[i:i + batch]
            loss = loss_fn(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return float(loss)


def accuracy(model, x, y):
    """Test accuracy in eval mode (prediction branch of the hand-written BN: no grad), batches of
    1000 (the naive whole-tensor BN of seed 003 uses batch statistics even in eval)."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += int((model(torch.from_numpy(x[i:i + 1000])).argmax(1).numpy()
                            == y[i:i + 1000]).sum())
    return correct / len(x)


def build(name):
    torch.manual_seed(SEED)
    return DEMOS[name][0]()


def references(model, x, labels):
    ref = {"input": x, "labels": labels}
    ref["output_fp32"], _ = reference_forward(model, x, train=False, double=False)
    ref["output_fp64"], _ = reference_forward(model, x, train=False, double=True)
    ref["train_output_fp32"], after = reference_forward(model, x, train=True, double=False)
    ref["train_output_fp64"], _ = reference_forward(model, x, train=True, double=True)
    for key, (mean, var) in running_stats(after).items():
        ref["train_running_mean_" + key] = mean
        ref["train_running_var_" + key] = var
    for k in ("output_fp32", "train_output_fp32"):
        assert ref[k].dtype == np.float32, k
    for k in ("output_fp64", "train_output_fp64"):
        assert ref[k].dtype == np.float64, k
    return ref


def export_pair(name, model, x, out_dir):
    """Exports eval and training graphs; returns the two ModelProtos."""
    ev = export_onnx(model, x, os.path.join(out_dir, name + ".onnx"), train=False)
    tr = export_onnx(model, x, os.path.join(out_dir, name + ".train.onnx"), train=True)
    return ev, tr


def check_graph_shapes(name, model, ev, tr):
    """The structural facts the compiler tests rely on; raises on a surprise."""
    n_bn = sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    for proto, mode in ((ev, 0), (tr, 1)):
        bns = onnx_graph.bn_nodes(proto)
        if len(bns) != n_bn:
            raise RuntimeError(f"{name}: {len(bns)} BatchNormalization nodes, expected {n_bn}")
        for n in bns:
            if onnx_graph.attr_value(n, "training_mode", 0) != mode:
                raise RuntimeError(f"{name}: BN {n.name} training_mode != {mode}")
    if handwritten_bn_modules(model):
        ops_ev, ops_tr = set(onnx_graph.op_types(ev)), set(onnx_graph.op_types(tr))
        if "ReduceMean" in ops_ev or not {"Sub", "Div", "Mul", "Add"} <= ops_ev:
            raise RuntimeError(f"{name}: eval graph did not take the prediction branch: {ops_ev}")
        # The Sub/Div operands besides the activation must be constants (traced moving stats).
        produced = {o: n.op_type for n in ev.graph.node for o in n.output}
        for n in ev.graph.node:
            if n.op_type in ("Sub", "Div") and produced.get(n.input[1]) != "Constant":
                raise RuntimeError(f"{name}: {n.op_type} {n.name} second operand not a Constant")
        if not {"ReduceMean", "Sqrt", "Pow"} <= ops_tr:
            raise RuntimeError(f"{name}: training graph lacks batch statistics: {ops_tr}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--train", action="store_true", help="retrain even if weights exist")
    ap.add_argument("--check", action="store_true",
                    help="re-export from saved weights to a temp dir and compare with the files")
    ap.add_argument("--only", nargs="*", help="subset of demo names")
    ap.add_argument("--out-dir", default=OUT_DIR, help="where the files are (default %(default)s)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.only or list(DEMOS)
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)

    x_test, y_test = fmnist.load("t10k")
    x_ref = np.ascontiguousarray(x_test[:REF_BATCH])
    y_ref = y_test[:REF_BATCH].copy()
    x_train = y_train = None

    failures = []
    tmp = tempfile.TemporaryDirectory(prefix="kiln_export_check_") if args.check else None
    for name in names:
        t0 = time.time()
        model = build(name)
        wpath = os.path.join(out_dir, name + ".weights.npz")
        if args.check or (os.path.exists(wpath) and not args.train):
            if not os.path.exists(wpath):
                failures.append(f"{name}: {wpath} missing")
                continue
            with np.load(wpath) as w:
                load_state_arrays(model, {k: w[k] for k in w.files})
            model.eval()
            how = "weights loaded"
        else:
            if x_train is None:
                x_train, y_train = fmnist.load("train")
            last_loss = train(name, model, x_train, y_train)
            np.savez_compressed(wpath, **state_arrays(model))
            how = f"trained (lr={DEMOS[name][1]}, batch {DEMOS[name][2]}, last loss {last_loss:.3f})"
        acc = accuracy(model, x_test, y_test)
        target = tmp.name if args.check else out_dir
        ev, tr = export_pair(name, model, x_ref, target)
        check_graph_shapes(name, model, ev, tr)
        ref = references(model, x_ref, y_ref)
        if args.check:
            for suffix in (".onnx", ".train.onnx"):
                committed = os.path.join(out_dir, name + suffix)
                if not os.path.exists(committed):
                    failures.append(f"{name}{suffix}: committed file missing")
                    continue
                diffs = onnx_graph.graph_differences(onnx.load(committed),
                                                     onnx.load(os.path.join(target, name + suffix)))
                failures += [f"{name}{suffix}: {d}" for d in diffs]
            with np.load(os.path.join(out_dir, name + ".ref.npz")) as old:
                if sorted(old.files) != sorted(ref):
                    failures.append(f"{name}.ref.npz: keys {sorted(old.files)} != {sorted(ref)}")
                for k in ref:
                    if k in old.files:
                        a, b = old[k], ref[k]
                        scale = max(float(np.max(np.abs(a))), 1e-30) if a.size else 1.0
                        if a.dtype != b.dtype or a.shape != b.shape or \
                                (a.size and float(np.max(np.abs(a - b))) > 1e-6 * scale):
                            failures.append(f"{name}.ref.npz: '{k}' does not reproduce")
            status = "graphs compared"
        else:
            np.savez_compressed(os.path.join(out_dir, name + ".ref.npz"), **ref)
            status = "written"
        stats = running_stats(model)
        dead = sum(int((v < 1e-6).sum()) for _, v in stats.values())
        if dead:
            failures.append(f"{name}: {dead} BN channels with running_var < 1e-6 (dead channels)")
        stat_txt = (f" BN stats: |mean| avg {np.mean([np.abs(m).mean() for m, _ in stats.values()]):.3f},"
                    f" var in [{min(v.min() for _, v in stats.values()):.3g},"
                    f" {max(v.max() for _, v in stats.values()):.3g}]") if stats else ""
        print(f"{name:22s} {how}; test acc {acc:.4f};{stat_txt} {status} ({time.time() - t0:.1f}s)")
        print(f"{'':22s} eval  opset {onnx_graph.opset_of(ev)}: {onnx_graph.summary_line(ev)}")
        print(f"{'':22s} train opset {onnx_graph.opset_of(tr)}: {onnx_graph.summary_line(tr)}")
    if tmp:
        tmp.cleanup()
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    if args.check:
        print("\ncheck: all re-exported graphs and references match the committed files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
