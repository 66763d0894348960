"""Torch-side helpers shared by export_demos.py and export_variants.py (run with /usr/bin/python3)."""
import copy
import io
import warnings

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from demo_models import handwritten_bn_modules

OPSET = 14
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
DYNAMIC_AXES = {INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}}


def export_onnx(model, example, path, train, do_constant_folding=True):
    """Exports a deep copy of `model` to `path` and returns the ModelProto.

    eval  (train=False): model.eval(), TrainingMode.PRESERVE (keeps BatchNormalization nodes
          instead of PyTorch's EVAL-mode Conv+BN fusion), traced under torch.no_grad().
    train (train=True):  model.train(), TrainingMode.TRAINING (BatchNormalization training_mode=1),
          traced with grad enabled (the hand-written BN of seed 001 keys its mode on that).

    The tracing forward pass of a TRAINING export updates the copy's BN running statistics in
    place, and PyTorch then writes those updated tensors as the initializers. They are put back
    to the values the model had before the export, so the file holds the trained statistics.
    Any other initializer that differs from the model's state_dict is an error."""
    m = copy.deepcopy(model)
    m.train(train)
    before = {k: v.detach().clone().numpy() for k, v in m.state_dict().items()}
    buf = io.BytesIO()
    grad_ctx = torch.enable_grad() if train else torch.no_grad()
    with grad_ctx, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant-folding / training-mode advice, tracer notes
        torch.onnx.export(
            m, (torch.from_numpy(example),), buf,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], dynamic_axes=DYNAMIC_AXES,
            opset_version=OPSET, do_constant_folding=do_constant_folding,
            training=torch.onnx.TrainingMode.TRAINING if train else torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load_from_string(buf.getvalue())
    for init in proto.graph.initializer:
        if init.name not in before:
            continue
        want = before[init.name]
        got = numpy_helper.to_array(init)
        if got.shape == want.shape and got.tobytes() == want.astype(got.dtype).tobytes():
            continue
        if train and init.name.endswith(("running_mean", "running_var")):
            init.CopyFrom(numpy_helper.from_array(want.astype(got.dtype), init.name))
        else:
            raise RuntimeError(f"{path}: initializer {init.name} differs from the model's state")
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return proto


def to_double(model):
    """Deep copy in float64, hand-written BN moving statistics included (Module.double() converts
    only parameters and buffers; the hand-written BN keeps its statistics as plain attributes)."""
    m = copy.deepcopy(model).double()
    for _, bn in handwritten_bn_modules(m):
        bn.moving_mean = bn.moving_mean.double()
        bn.moving_var = bn.moving_var.double()
    return m


def reference_forward(model, x, train, double):
    """Logits of a deep copy of `model` on numpy batch `x` (eval: running statistics, under
    no_grad; train: batch statistics, grad enabled). Returns (logits numpy, the copy after the
    forward pass, whose running statistics a training forward has updated)."""
    m = to_double(model) if double else copy.deepcopy(model)
    m.train(train)
    t = torch.from_numpy(x)
    t = t.double() if double else t.float()
    with torch.enable_grad() if train else torch.no_grad():
        y = m(t)
    return y.detach().numpy(), m


def running_stats(model):
    """{'<path>': (mean, var)} of every BN layer (nn.BatchNorm* running stats, hand-written BN
    moving stats), path with '.' replaced by '_'."""
    out = {}
    for name, mod in model.named_modules():
        key = name.replace(".", "_")
        if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
            out[key] = (mod.running_mean.detach().numpy(), mod.running_var.detach().numpy())
    for name, mod in handwritten_bn_modules(model):
        out[name.replace(".", "_")] = (mod.moving_mean.numpy(), mod.moving_var.numpy())
    return out


def state_arrays(model):
    """state_dict + hand-written BN moving statistics ('<path>.moving_mean' / '.moving_var')."""
    arrays = {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
    for name, bn in handwritten_bn_modules(model):
        arrays[name + ".moving_mean"] = bn.moving_mean.detach().clone().numpy()
        arrays[name + ".moving_var"] = bn.moving_var.detach().clone().numpy()
    return arrays


def load_state_arrays(model, arrays):
    sd_keys = list(model.state_dict().keys())
    missing = [k for k in sd_keys if k not in arrays]
    if missing:
        raise KeyError(f"weights file lacks {missing}")
    model.load_state_dict({k: torch.from_numpy(np.array(arrays[k])) for k in sd_keys}, strict=True)
    used = set(sd_keys)
    for name, bn in handwritten_bn_modules(model):
        bn.moving_mean = torch.from_numpy(np.array(arrays[name + ".moving_mean"]))
        bn.moving_var = torch.from_numpy(np.array(arrays[name + ".moving_var"]))
        used |= {name + ".moving_mean", name + ".moving_var"}
    extra = sorted(set(arrays) - used)
    if extra:
        raise KeyError(f"weights file has arrays the model does not use: {extra}")
    return model
