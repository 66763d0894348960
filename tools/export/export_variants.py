#!/usr/bin/python3
"""Small models with random weights and randomised BatchNorm statistics, exported from PyTorch
(eval: TrainingMode.PRESERVE; a few also TrainingMode.TRAINING) with fp32/fp64 references.

    /usr/bin/python3 tools/export/export_variants.py [--only NAME ...] [--out-dir DIR]

Writes tests/models/variants/<name>.onnx and <name>.ref.npz (input: batch of 4, output_fp32,
output_fp64), plus <name>.train.onnx and train_input (batch of 8), train_output_fp32/fp64,
train_running_mean_<bn>/train_running_var_<bn> in the same .ref.npz for the training cases.
Everything is seeded from the case name, so a rerun rewrites identical files.
"""
import argparse
import os
import sys
import zlib

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_graph  # noqa: E402
from export_common import export_onnx, reference_forward, running_stats  # noqa: E402

OUT_DIR = os.path.join(HERE, "..", "..", "tests", "models", "variants")
EVAL_BATCH, TRAIN_BATCH = 4, 8


# ------------------------------------------------------------------ models that need a forward()
class ResidualAddBN(nn.Module):
    """relu(bn(conv(x)) + x)"""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)) + x)


class TwoConsumers(nn.Module):
    """conv-relu-bn, and the BN output feeds two unpadded convs whose results are added."""

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.conv_a = nn.Conv2d(6, 4, 3)
        self.conv_b = nn.Conv2d(6, 4, 3, dilation=1, bias=False)

    def forward(self, x):
        h = self.bn(torch.relu(self.conv0(x)))
        return self.conv_a(h) + self.conv_b(h)


class Conv1dDynamicReshape(nn.Module):
    """[N,1,28,28] -> view(N,4,-1) = [N,4,196] -> Conv1d(4,8,3) -> BN1d(8) -> ReLU -> Linear"""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3)
        self.bn = nn.BatchNorm1d(8)
        self.fc = nn.Linear(8 * 194, 10)

    def forward(self, x):
        x = x.view(x.size(0), 4, -1)
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.flatten(1))


def conv_relu_bn_block(pool=None, tail_padding=0):
    layers = [nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(6)]
    if pool is not None:
        layers.append(pool)
    layers.append(nn.Conv2d(6, 4, 3, padding=tail_padding))
    return nn.Sequential(*layers)


# name -> dict(build, shape (without batch), signed (BN scales with random sign),
#              fold (do_constant_folding), train (also a training-mode export), expect (op types
#              that must appear), doc)
CASES = {
    "conv_bias_bn": dict(
        build=lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
        shape=(3, 8, 8), train=True, expect={"Conv", "BatchNormalization"}),
    "conv_nobias_bn": dict(
        build=lambda: nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                    nn.BatchNorm2d(8), nn.ReLU()),
        shape=(3, 8, 8), signed=True, expect={"Conv", "BatchNormalization"}),
    "grouped_conv_bn": dict(
        build=lambda: nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, groups=2),
                                    nn.BatchNorm2d(8, eps=1e-3)),
        shape=(4, 8, 8), expect={"Conv", "BatchNormalization"}),
    "depthwise_conv_bn": dict(
        build=lambda: nn.Sequential(nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False),
                                    nn.BatchNorm2d(6), nn.ReLU()),
        shape=(6, 8, 8), expect={"Conv", "BatchNormalization"}),
    "conv_transpose_bn": dict(
        build=lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                       output_padding=1),
                                    nn.BatchNorm2d(6)),
        shape=(4, 5, 5), expect={"ConvTranspose", "BatchNormalization"}),
    "conv_transpose_grouped_bn": dict(
        build=lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2),
                                    nn.BatchNorm2d(6)),
        shape=(4, 5, 5), signed=True, expect={"ConvTranspose", "BatchNormalization"}),
    "linear_nobias_bn": dict(
        build=lambda: nn.Sequential(nn.Linear(20, 16, bias=False), nn.BatchNorm1d(16)),
        shape=(20,), fold=False, expect={"Transpose", "MatMul", "BatchNormalization"}),
    "linear_bias_bn": dict(
        build=lambda: nn.Sequential(nn.Linear(20, 16), nn.BatchNorm1d(16, momentum=0.3),
                                    nn.ReLU(), nn.Linear(16, 5)),
        shape=(20,), train=True, expect={"Gemm", "BatchNormalization"}),
    "residual_add_bn": dict(
        build=ResidualAddBN, shape=(4, 6, 6), signed=True,
        expect={"Conv", "BatchNormalization", "Add", "Relu"}),
    "bn_on_input": dict(
        build=lambda: nn.Sequential(nn.BatchNorm2d(3), nn.Conv2d(3, 8, 3), nn.ReLU()),
        shape=(3, 8, 8), expect={"BatchNormalization", "Conv"}),
    "bn_after_relu": dict(
        build=lambda: conv_relu_bn_block(), shape=(3, 8, 8),
        expect={"Conv", "Relu", "BatchNormalization"}),
    "bn_after_sigmoid": dict(
        build=lambda: nn.Sequential(nn.Linear(20, 16), nn.Sigmoid(), nn.BatchNorm1d(16),
                                    nn.Linear(16, 5)),
        shape=(20,), expect={"Gemm", "Sigmoid", "BatchNormalization"}),
    "bn_before_maxpool_positive": dict(
        build=lambda: conv_relu_bn_block(pool=nn.MaxPool2d(2)), shape=(3, 8, 8),
        expect={"Conv", "Relu", "BatchNormalization", "MaxPool"}),
    "bn_before_maxpool_mixed": dict(
        build=lambda: conv_relu_bn_block(pool=nn.MaxPool2d(2)), shape=(3, 8, 8), signed=True,
        expect={"Conv", "Relu", "BatchNormalization", "MaxPool"}),
    "bn_avgpool_conv": dict(
        build=lambda: conv_relu_bn_block(pool=nn.AvgPool2d(2)), shape=(3, 8, 8),
        expect={"Conv", "Relu", "BatchNormalization", "AveragePool"}),
    "bn_then_padded_conv": dict(
        build=lambda: conv_relu_bn_block(tail_padding=1), shape=(3, 8, 8),
        expect={"Conv", "Relu", "BatchNormalization"}),
    "bn_two_consumers": dict(
        build=TwoConsumers, shape=(3, 8, 8), expect={"Conv", "BatchNormalization", "Add"}),
    "conv1d_bn1d_dynamic_reshape": dict(
        build=Conv1dDynamicReshape, shape=(1, 28, 28),
        expect={"Shape", "Reshape", "Conv", "BatchNormalization", "Gemm"}),
    "bn1d_on_ncl": dict(
        build=lambda: nn.Sequential(nn.BatchNorm1d(6), nn.Flatten(), nn.Linear(60, 5)),
        shape=(6, 10), train=True, expect={"BatchNormalization", "Flatten", "Gemm"}),
}


def randomize_bn(model, rng, signed):
    """running_mean ~ N(0, 0.5), running_var ~ U(0.5, 2), weight ~ U(0.5, 1.5) (times a random
    sign, both signs present, when `signed`), bias ~ N(0, 0.2)."""
    for mod in model.modules():
        if not isinstance(mod, nn.modules.batchnorm._BatchNorm):
            continue
        c = mod.num_features
        weight = rng.uniform(0.5, 1.5, c)
        if signed:
            sign = rng.choice([-1.0, 1.0], c)
            sign[0], sign[1] = -1.0, 1.0  # make sure both signs occur
            weight *= rng.permutation(sign)
        with torch.no_grad():
            mod.running_mean.copy_(torch.from_numpy(rng.normal(0.0, 0.5, c)))
            mod.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, c)))
            mod.weight.copy_(torch.from_numpy(weight))
            mod.bias.copy_(torch.from_numpy(rng.normal(0.0, 0.2, c)))


def export_case(name, spec, out_dir):
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = spec["build"]()
    randomize_bn(model, rng, spec.get("signed", False))
    model.eval()
    shape = spec["shape"]
    x = rng.standard_normal((EVAL_BATCH,) + shape).astype(np.float32)
    ev = export_onnx(model, x, os.path.join(out_dir, name + ".onnx"), train=False,
                     do_constant_folding=spec.get("fold", True))
    ref = {"input": x}
    ref["output_fp32"], _ = reference_forward(model, x, train=False, double=False)
    ref["output_fp64"], _ = reference_forward(model, x, train=False, double=True)
    protos = {"eval": ev}
    if spec.get("train"):
        xt = rng.standard_normal((TRAIN_BATCH,) + shape).astype(np.float32)
        protos["train"] = export_onnx(model, xt, os.path.join(out_dir, name + ".train.onnx"),
                                      train=True, do_constant_folding=spec.get("fold", True))
        ref["train_input"] = xt
        ref["train_output_fp32"], after = reference_forward(model, xt, train=True, double=False)
        ref["train_output_fp64"], _ = reference_forward(model, xt, train=True, double=True)
        for key, (mean, var) in running_stats(after).items():
            ref["train_running_mean_" + key] = mean
            ref["train_running_var_" + key] = var
    np.savez_compressed(os.path.join(out_dir, name + ".ref.npz"), **ref)

    n_bn = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    for mode, proto in protos.items():
        ops = set(onnx_graph.op_types(proto))
        if not spec["expect"] <= ops:
            raise RuntimeError(f"{name} ({mode}): expected ops {sorted(spec['expect'] - ops)} "
                               f"missing from {sorted(ops)}")
        bns = onnx_graph.bn_nodes(proto)
        want_mode = 1 if mode == "train" else 0
        if len(bns) != n_bn or any(onnx_graph.attr_value(n, "training_mode", 0) != want_mode
                                   for n in bns):
            raise RuntimeError(f"{name} ({mode}): BatchNormalization nodes not as expected")
    return protos


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="*", help="subset of case names")
    ap.add_argument("--out-dir", default=OUT_DIR)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    for name in args.only or list(CASES):
        protos = export_case(name, CASES[name], out_dir)
        for mode, proto in protos.items():
            print(f"{name + ('.train' if mode == 'train' else ''):34s} opset "
                  f"{onnx_graph.opset_of(proto)}: {onnx_graph.summary_line(proto)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
