#!/usr/bin/env python3
"""Generates the reference-evaluator fixtures in tests/data/eval/*.npz.

Each fixture holds the inputs of one op (keys without prefix), its attributes (keys
`attr_<name>`, int64 or float64 arrays) and the expected outputs computed in float64 with
numpy (keys `expect_<name>`). The numpy formulations are deliberately different from the
C++ kernels (im2col + einsum for Conv, zero-insertion + flipped-kernel convolution for
ConvTranspose, numpy mean/var for BatchNorm), and every fixture of a standard ONNX op is
cross-checked here against onnxruntime (float32) or the ONNX reference evaluator before it
is written.

Usage: python3 tests/tools/gen_eval_fixtures.py  (writes into tests/data/eval/)
"""
from __future__ import annotations

import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "eval")
rng = np.random.default_rng(20240611)


def rand(*shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------- reference formulations

def conv_ref(x, w, b, strides, pads, dilations, group):
    """N-D convolution via explicit zero padding, strided window views and einsum."""
    sp = x.ndim - 2
    padw = [(0, 0), (0, 0)] + [(pads[i], pads[i + sp]) for i in range(sp)]
    xp = np.pad(x, padw)
    k = w.shape[2:]
    span = [(k[i] - 1) * dilations[i] + 1 for i in range(sp)]
    out = [(xp.shape[2 + i] - span[i]) // strides[i] + 1 for i in range(sp)]
    cg, mg = x.shape[1] // group, w.shape[0] // group
    ys = []
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        # cols[n, c, o..., k...] = xg[n, c, o*s + k*d]
        win = np.lib.stride_tricks.sliding_window_view(xg, span, axis=tuple(range(2, 2 + sp)))
        sl = (slice(None), slice(None)) + tuple(slice(None, out[i] * strides[i], strides[i]) for i in range(sp)) \
            + tuple(slice(None, None, dilations[i]) for i in range(sp))
        cols = win[sl]
        letters = "defghi"[:sp]
        kl = "pqrstu"[:sp]
        ys.append(np.einsum(f"nc{letters}{kl},mc{kl}->nm{letters}", cols, wg))
    y = np.concatenate(ys, axis=1)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * sp)
    return y


def conv_transpose_ref(x, w, b, strides, pads, dilations, group, output_padding):
    """ConvTranspose as a plain convolution: insert (stride-1) zeros between input pixels,
    pad by dilated_kernel-1-pad (plus output_padding at the end) and convolve with the
    spatially flipped kernel whose in/out channel axes are swapped."""
    sp = x.ndim - 2
    n, c = x.shape[:2]
    mg = w.shape[1]
    cg = c // group
    dil_shape = [(x.shape[2 + i] - 1) * strides[i] + 1 for i in range(sp)]
    xd = np.zeros((n, c, *dil_shape))
    xd[(slice(None), slice(None)) + tuple(slice(None, None, strides[i]) for i in range(sp))] = x
    k = w.shape[2:]
    span = [(k[i] - 1) * dilations[i] + 1 for i in range(sp)]
    conv_pads = [span[i] - 1 - pads[i] for i in range(sp)] + \
        [span[i] - 1 - pads[sp + i] + output_padding[i] for i in range(sp)]
    assert min(conv_pads) >= 0, "reference only handles pads <= dilated kernel - 1"
    flip = (slice(None), slice(None)) + (slice(None, None, -1),) * sp
    # forward weight [M, C/g, k...] per group from w [C, M/g, k...]
    wf = np.concatenate([np.swapaxes(w[g * cg:(g + 1) * cg], 0, 1)[flip] for g in range(group)], axis=0)
    return conv_ref(xd, wf, b, [1] * sp, conv_pads, dilations, group)


def bn_training_ref(x, scale, bias, rmean, rvar, axis, whole, eps, momentum, unbiased, unbiased_running, act):
    red = tuple(i for i in range(x.ndim) if i != axis) if not whole else tuple(range(x.ndim))
    bshape = [1] * x.ndim
    bshape[axis] = -1
    mean = x.mean(axis=red, keepdims=True)
    var = x.var(axis=red, keepdims=True, ddof=1 if unbiased else 0)
    y = scale.reshape(bshape) * (x - mean) / np.sqrt(var + eps) + bias.reshape(bshape)
    if act == "relu":
        y = np.maximum(y, 0)
    run_var = x.var(axis=red, ddof=1 if unbiased_running else 0)
    new_mean = rmean * momentum + x.mean(axis=red) * (1 - momentum)
    new_var = rvar * momentum + run_var * (1 - momentum)
    return y, new_mean.reshape(rmean.shape), new_var.reshape(rvar.shape)


# ---------------------------------------------------------------- cross-checks

def onnx_model(op, inputs, outputs, attrs, opset=19, elem=TensorProto.FLOAT):
    node = helper.make_node(op, [n for n, _ in inputs], outputs, **attrs)
    g = helper.make_graph([node], "g",
                          [helper.make_tensor_value_info(n, elem, None) for n, _ in inputs],
                          [helper.make_tensor_value_info(o, elem, None) for o in outputs])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def check_ort(op, inputs, attrs, expected, opset=19):
    m = onnx_model(op, inputs, [f"out{i}" for i in range(len(expected))], attrs, opset)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: v.astype(np.float32) for n, v in inputs})
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4, err_msg=op)


def check_onnx_reference(op, inputs, attrs, expected, opset=19):
    m = onnx_model(op, inputs, [f"out{i}" for i in range(len(expected))], attrs, opset, TensorProto.DOUBLE)
    got = ReferenceEvaluator(m).run(None, dict(inputs))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-8, err_msg=op)  # float32 attributes


fixtures = {}


def save(name, inputs, attrs, expected):
    """Float fixture: everything stored as float64 (integer attributes as int64)."""
    d = {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()}
    for k, v in attrs.items():
        arr = np.asarray(v)
        d["attr_" + k] = arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)
    for k, v in expected.items():
        d["expect_" + k] = np.asarray(v, dtype=np.float64)
    fixtures[name] = d


# ---------------------------------------------------------------- Conv / ConvTranspose

def conv_case(name, xs, ws, group, strides, pads, dilations, bias=True):
    x, w = rand(*xs), rand(*ws)
    b = rand(ws[0]) if bias else None
    y = conv_ref(x, w, b, strides, pads, dilations, group)
    attrs = dict(strides=strides, pads=pads, dilations=dilations, group=group)
    ins = [("x", x), ("w", w)] + ([("b", b)] if bias else [])
    check_ort("Conv", ins, attrs, [y])
    save(name, dict(ins), attrs, {"y": y})


conv_case("conv2d_group_dilate_stride", (2, 4, 9, 8), (6, 2, 3, 3), 2, [2, 1], [1, 0, 2, 1], [2, 1])
conv_case("conv1d_depthwise", (2, 3, 11), (3, 1, 4), 3, [3], [2, 1], [1], bias=False)
conv_case("conv3d_pads", (1, 2, 5, 4, 6), (3, 2, 2, 3, 2), 1, [1, 2, 2], [1, 0, 1, 0, 1, 1], [1, 1, 2])


def conv_transpose_case(name, xs, ws, group, strides, pads, dilations, output_padding):
    x, w, b = rand(*xs), rand(*ws), rand(ws[1] * group)
    y = conv_transpose_ref(x, w, b, strides, pads, dilations, group, output_padding)
    attrs = dict(strides=strides, pads=pads, dilations=dilations, group=group,
                 output_padding=output_padding)
    ins = [("x", x), ("w", w), ("b", b)]
    check_ort("ConvTranspose", ins, attrs, [y])
    save(name, dict(ins), attrs, {"y": y})


conv_transpose_case("convtranspose2d_group_outpad", (2, 4, 5, 4), (4, 3, 3, 2), 2, [2, 3], [1, 0, 0, 1],
                    [1, 2], [1, 2])
conv_transpose_case("convtranspose1d_stride_dilate", (1, 3, 6), (3, 2, 3), 1, [3], [2, 1], [2], [2])

# auto_pad SAME_LOWER (attr_auto_pad: 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID)
x, w = rand(1, 2, 7, 6), rand(3, 2, 3, 2)
strides = [2, 2]
same_pads = []
for i in range(2):
    out = -(-x.shape[2 + i] // strides[i])
    total = max(0, (out - 1) * strides[i] + w.shape[2 + i] - x.shape[2 + i])
    same_pads.append((total - total // 2, total // 2))  # SAME_LOWER: the odd cell first
y = conv_ref(x, w, None, strides, [p[0] for p in same_pads] + [p[1] for p in same_pads], [1, 1], 1)
check_ort("Conv", [("x", x), ("w", w)], dict(strides=strides, auto_pad="SAME_LOWER"), [y])
save("conv2d_autopad_same_lower", dict(x=x, w=w), dict(strides=strides, auto_pad=[2], group=[1]), dict(y=y))

# ConvTranspose with output_shape one larger than the natural extent on both axes: the
# total padding is -1, i.e. one extra output row/column that only receives the bias.
x, w, b = rand(1, 1, 3, 3), rand(1, 2, 3, 3), rand(2)
natural = conv_transpose_ref(x, w, None, [3, 2], [0, 0, 0, 0], [1, 1], 1, [0, 0])
y = np.pad(natural, [(0, 0), (0, 0), (0, 1), (0, 1)]) + b.reshape(1, 2, 1, 1)
check_ort("ConvTranspose", [("x", x), ("w", w), ("b", b)], dict(strides=[3, 2], output_shape=[10, 8]), [y])
save("convtranspose_output_shape", dict(x=x, w=w, b=b), dict(strides=[3, 2], output_shape=[10, 8], group=[1]),
     dict(y=y))

# ---------------------------------------------------------------- pools


def pool_case(name, op, xs, attrs):
    x = rand(*xs)
    m = onnx_model(op, [("x", x)], ["y"], attrs, 19, TensorProto.DOUBLE)
    y = ReferenceEvaluator(m).run(None, {"x": x})[0]
    if not (op == "AveragePool" and attrs.get("ceil_mode") and attrs.get("count_include_pad")):
        check_ort(op, [("x", x)], attrs, [y])  # onnxruntime differs on that one combination
    save(name, {"x": x}, attrs, {"y": y})


pool_case("avgpool_ceil_pads_exclude", "AveragePool", (2, 2, 7, 8),
          dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 0], ceil_mode=1, count_include_pad=0))
pool_case("avgpool_ceil_pads_include", "AveragePool", (2, 2, 7, 8),
          dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 0], ceil_mode=1, count_include_pad=1))
pool_case("avgpool_floor_pads_include", "AveragePool", (1, 3, 6, 7),
          dict(kernel_shape=[3, 2], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1))
pool_case("maxpool_dilate_ceil", "MaxPool", (1, 2, 9, 10),
          dict(kernel_shape=[2, 3], strides=[2, 2], pads=[1, 0, 0, 1], dilations=[2, 1], ceil_mode=1))

# ---------------------------------------------------------------- BatchNorm family

C = 3
x = rand(4, C, 5, 3)
scale, bias, rmean, rvar = rand(C), rand(C), rand(C), np.abs(rand(C)) + 0.5
y, nm, nv = bn_training_ref(x, scale, bias, rmean, rvar, 1, False, 1e-3, 0.8, False, False, None)
check_onnx_reference("BatchNormalization", [("x", x), ("s", scale), ("b", bias), ("m", rmean), ("v", rvar)],
                     dict(epsilon=1e-3, momentum=0.8, training_mode=1), [y, nm, nv], opset=15)
save("bn_onnx_training", dict(x=x, scale=scale, bias=bias, mean=rmean, var=rvar),
     dict(epsilon=[1e-3], momentum=[0.8]), dict(y=y, running_mean=nm, running_var=nv))

y_eval = scale.reshape(1, C, 1, 1) * (x - rmean.reshape(1, C, 1, 1)) / np.sqrt(rvar.reshape(1, C, 1, 1) + 1e-3) \
    + bias.reshape(1, C, 1, 1)
check_ort("BatchNormalization", [("x", x), ("s", scale), ("b", bias), ("m", rmean), ("v", rvar)],
          dict(epsilon=1e-3), [y_eval], opset=15)
save("bn_onnx_inference", dict(x=x, scale=scale, bias=bias, mean=rmean, var=rvar),
     dict(epsilon=[1e-3]), dict(y=y_eval))

# kiln.BatchNormTraining: per-channel, ONNX running var (population)
y, nm, nv = bn_training_ref(x, scale, bias, rmean, rvar, 1, False, 1e-5, 0.9, False, False, None)
save("bnt_per_channel", dict(x=x, scale=scale, bias=bias, mean=rmean, var=rvar),
     dict(epsilon=[1e-5], momentum=[0.9], axis=[1], whole=[0], unbiased=[0], unbiased_running=[0], relu=[0]),
     dict(y=y, running_mean=nm, running_var=nv))

# whole-tensor statistics with the unbiased variance (x.std() pattern), relu epilogue,
# one running statistic
x2 = rand(6, 4, 5)
s2, b2 = rand(4), rand(4)
rm2, rv2 = rand(1), np.abs(rand(1)) + 0.5
y, nm, nv = bn_training_ref(x2, s2, b2, rm2, rv2, 1, True, 1e-5, 0.9, True, True, "relu")
save("bnt_whole_unbiased_relu", dict(x=x2, scale=s2, bias=b2, mean=rm2, var=rv2),
     dict(epsilon=[1e-5], momentum=[0.9], axis=[1], whole=[1], unbiased=[1], unbiased_running=[1], relu=[1]),
     dict(y=y, running_mean=nm, running_var=nv))

# [N, C] input, PyTorch convention: normalise with the population variance, update the
# running variance with the unbiased one (momentum 0.9 = PyTorch's 0.1)
x3 = rand(8, 5)
s3, b3, rm3, rv3 = rand(5), rand(5), rand(5), np.abs(rand(5)) + 0.5
y, nm, nv = bn_training_ref(x3, s3, b3, rm3, rv3, 1, False, 1e-5, 0.9, False, True, None)
save("bnt_2d_pytorch_running_var", dict(x=x3, scale=s3, bias=b3, mean=rm3, var=rv3),
     dict(epsilon=[1e-5], momentum=[0.9], axis=[1], whole=[0], unbiased=[0], unbiased_running=[1], relu=[0]),
     dict(y=y, running_mean=nm, running_var=nv))

# kiln.ScaleShift on axis 1 of [N, C] and [N, C, L]
for name, shape in [("scaleshift_nc", (4, 6)), ("scaleshift_ncl", (3, 6, 7))]:
    xs = rand(*shape)
    sc, sh = rand(6), rand(6)
    bs = (1, 6) + (1,) * (len(shape) - 2)
    save(name, dict(x=xs, scale=sc, shift=sh), dict(axis=[1]), dict(y=xs * sc.reshape(bs) + sh.reshape(bs)))

# ---------------------------------------------------------------- matrix products

a, bm, cm = rand(5, 4), rand(6, 5), rand(1, 6)
y = 0.75 * a.T @ bm.T + 1.25 * cm  # alpha, beta exact in float32 (GemmAttrs holds floats)
check_ort("Gemm", [("a", a), ("b", bm), ("c", cm)], dict(alpha=0.75, beta=1.25, transA=1, transB=1), [y])
save("gemm_trans_bcast", dict(a=a, b=bm, c=cm), dict(alpha=[0.75], beta=[1.25], transA=[1], transB=[1]), dict(y=y))

a, bm = rand(2, 1, 3, 4), rand(3, 4, 5)
y = np.matmul(a, bm)
check_ort("MatMul", [("a", a), ("b", bm)], {}, [y])
save("matmul_batch_bcast", dict(a=a, b=bm), {}, dict(y=y))
a, bm = rand(4), rand(2, 4, 3)
y = np.matmul(a, bm)
check_ort("MatMul", [("a", a), ("b", bm)], {}, [y])
save("matmul_1d_lhs", dict(a=a, b=bm), {}, dict(y=y))

# ---------------------------------------------------------------- Pad with cropping

xp = rand(3, 5, 4)
# begins [1, -2, 2], ends [-1, 2, 1]: crop first, then pad the cropped tensor (like
# onnxruntime; np.pad cannot take negative pads)
cropped = xp[:-1, 2:, :]
for mode in ["reflect", "edge", "wrap"]:
    y = np.pad(cropped, [(1, 0), (0, 2), (2, 1)], mode=mode)
    save("pad_crop_" + mode, dict(x=xp), dict(pads=[1, -2, 2, -1, 2, 1]), dict(y=y))


def check_pad_ort(mode):  # pads must be an int64 initializer
    node = helper.make_node("Pad", ["x", "p"], ["y"], mode=mode)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [helper.make_tensor("p", TensorProto.INT64, [6], [1, -2, 2, -1, 2, 1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": xp.astype(np.float32)})[0]
    np.testing.assert_allclose(got, fixtures["pad_crop_" + mode]["expect_y"], rtol=1e-6, atol=1e-6)


for mode in ["reflect", "edge", "wrap"]:
    check_pad_ort(mode)

# ---------------------------------------------------------------- Softmax

xs = rand(2, 3, 4)
e = np.exp(xs - xs.max(axis=1, keepdims=True))
y = e / e.sum(axis=1, keepdims=True)
check_ort("Softmax", [("x", xs)], dict(axis=1), [y], opset=13)
save("softmax_axis1", dict(x=xs), dict(axis=[1], legacy=[0]), dict(y=y))
flat = xs.reshape(2, 12)
e = np.exp(flat - flat.max(axis=1, keepdims=True))
y = (e / e.sum(axis=1, keepdims=True)).reshape(xs.shape)
check_ort("Softmax", [("x", xs)], dict(axis=1), [y], opset=11)
save("softmax_legacy_axis1", dict(x=xs), dict(axis=[1], legacy=[1]), dict(y=y))

# ---------------------------------------------------------------- integer ops (dtypes kept)

ia = rng.integers(-50, 50, size=(2, 3, 4)).astype(np.int32)
ib = rng.integers(1, 9, size=(3, 1)).astype(np.int32) * rng.choice([-1, 1], size=(3, 1)).astype(np.int32)
i8a = np.array([100, -100, 127, -128, 5], dtype=np.int8)
i8b = np.array([100, -100, 1, -1, -7], dtype=np.int8)
pbase = np.array([2, 3, -2, 5, 7], dtype=np.int64)
pexp = np.array([10, 3, 3, 0, 1], dtype=np.int64)
fbase = np.array([1.5, -2.0, 0.5, 3.0], dtype=np.float32)
iexp = np.array([2, 3, -1, 0], dtype=np.int32)
fcast = np.array([-2.7, -0.5, 0.0, 0.5, 2.9, 120.2], dtype=np.float32)
data = rng.integers(-1000, 1000, size=(3, 4)).astype(np.int64)
gidx = np.array([[-1, 0], [1, -3]], dtype=np.int64)
pool_in8 = rng.integers(-128, 128, size=(1, 2, 5, 5)).astype(np.int8)
with np.errstate(over="ignore"):
    fixtures["int_ops"] = dict(
        a=ia, b=ib, add=ia + ib, sub=ia - ib, mul=ia * ib,
        div=(ia / ib).astype(np.int32),  # truncation toward zero, as the ONNX reference
        a8=i8a, b8=i8b, add8=i8a + i8b, mul8=i8a * i8b, neg8=-i8a, abs8=np.abs(i8a),
        pbase=pbase, pexp=pexp, pow=np.power(pbase, pexp),
        fbase=fbase, iexp=iexp, fpow=np.power(fbase, iexp.astype(np.float32)),
        fcast=fcast, cast_i32=fcast.astype(np.int32), cast_i8=fcast.astype(np.int8),
        cast_bool=fcast.astype(np.bool_), cast_f64=fcast.astype(np.float64),
        data=data, gidx=gidx, gather1=np.take(data, gidx, axis=1), gather_scalar=np.take(data, -2, axis=0),
        transpose=np.transpose(ia, (1, 0, 2)),
        pad7=np.pad(ia, [(0, 0), (1, 2), (0, 1)], constant_values=7),
        concat8=np.concatenate([i8a.reshape(1, 5), i8b.reshape(1, 5)], axis=0),
        # MaxPool 2x2, stride 2, ceil_mode on int8: pad with the lowest value, take window maxima
        pool8=pool_in8, maxpool8=np.lib.stride_tricks.sliding_window_view(
            np.pad(pool_in8, [(0, 0), (0, 0), (0, 1), (0, 1)], constant_values=-128), (2, 2),
            axis=(2, 3))[:, :, ::2, ::2].max(axis=(-1, -2)),
    )

# ---------------------------------------------------------------- write

os.makedirs(OUT, exist_ok=True)
total = 0
for name, arrays in fixtures.items():
    path = os.path.join(OUT, name + ".npz")
    np.savez_compressed(path, **arrays)
    total += os.path.getsize(path)
print(f"wrote {len(fixtures)} fixtures, {total} bytes, to {os.path.normpath(OUT)}")

# ---------------------------------------------------------------- .npy / .npz reader samples
# Element i of every sample array is a simple function of i (documented in npy_test.cpp), so
# the test can check values without re-reading them through the code under test.
NPY = os.path.join(os.path.dirname(__file__), "..", "data", "npy")
os.makedirs(NPY, exist_ok=True)
samples = {
    "f4": (np.arange(6) * 0.5).astype("<f4").reshape(2, 3),
    "f8": (np.arange(6) * -0.25).astype("<f8").reshape(3, 2),
    "i8": (np.arange(5) * 3 - 7).astype("<i8"),
    "i4": (np.arange(4) - 2).astype("<i4").reshape(1, 4),
    "i1": (np.arange(4) * 40 - 60).astype("|i1"),
    "u1": (np.arange(4) * 60).astype("|u1"),
    "b1": (np.arange(5) % 2 == 1),
    "scalar": np.array(2.5, dtype="<f8"),
    "empty": np.zeros((0, 3), dtype="<f4"),
}
np.savez(os.path.join(NPY, "samples_stored.npz"), **samples)
np.savez_compressed(os.path.join(NPY, "samples_deflated.npz"), **samples)
np.save(os.path.join(NPY, "f4_v1.npy"), samples["f4"])
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(NPY, f"f4_v{version[0]}.npy"), "wb") as f:
        np.lib.format.write_array(f, samples["f4"], version=version)
np.save(os.path.join(NPY, "f8_fortran.npy"), np.asfortranarray(np.ones((2, 3))))
np.save(os.path.join(NPY, "f4_bigendian.npy"), samples["f4"].astype(">f4"))
np.save(os.path.join(NPY, "i2_unsupported.npy"), np.arange(3, dtype="<i2"))
print("wrote .npy/.npz samples to", os.path.normpath(NPY))
