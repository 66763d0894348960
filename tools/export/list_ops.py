#!/usr/bin/env python3
"""Lists opset and op types of every model under tests/models (either python; needs only onnx).

    python3 tools/export/list_ops.py [--markdown] [--models-dir tests/models]
"""
import argparse
import glob
import os
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_graph  # noqa: E402


def bn_text(model):
    out = []
    for n in onnx_graph.bn_nodes(model):
        out.append(f"eps={onnx_graph.attr_value(n, 'epsilon', 1e-5):.3g} "
                   f"momentum={onnx_graph.attr_value(n, 'momentum', 0.9):.3g} "
                   f"training_mode={onnx_graph.attr_value(n, 'training_mode', 0)}")
    return "; ".join(sorted(set(out)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--models-dir", default=os.path.join(HERE, "..", "..", "tests", "models"))
    args = ap.parse_args()
    root = os.path.abspath(args.models_dir)
    paths = sorted(glob.glob(os.path.join(root, "*", "*.onnx")))
    if args.markdown:
        print("| model | opset | op types (count) | BatchNormalization attributes |")
        print("|---|---|---|---|")
    for p in paths:
        m = onnx.load(p)
        rel = os.path.relpath(p, root)
        if args.markdown:
            print(f"| {rel} | {onnx_graph.opset_of(m)} | {onnx_graph.summary_line(m)} | "
                  f"{bn_text(m) or '-'} |")
        else:
            print(f"{rel:44s} opset {onnx_graph.opset_of(m)}: {onnx_graph.summary_line(m)}"
                  + (f"   [BN {bn_text(m)}]" if bn_text(m) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
