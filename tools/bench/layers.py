"""One-op ONNX models of the Conv / Gemm / MatMul layers of a demo model, at a given batch,
with their FLOP counts (2 per multiply-add)."""
import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

LAYER_OPS = ("Conv", "Gemm", "MatMul")


def _fixed_batch(model, batch):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for v in list(m.graph.input) + list(m.graph.output):
        d = v.type.tensor_type.shape.dim
        if d and d[0].dim_param:
            d[0].dim_value = batch
    return shape_inference.infer_shapes(m, data_prop=True)


def _shape(m, name):
    for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        if v.name == name:
            dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
            return dims if dims and all(dims) else None
    return None


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _flops(node, x_shape, inits):
    w = inits[node.input[1]]
    if node.op_type == "Conv":
        group = _attr(node, "group", 1)
        n, _, h, wd = x_shape
        k = list(_attr(node, "kernel_shape", w.shape[2:]))
        s = list(_attr(node, "strides", [1, 1]))
        p = list(_attr(node, "pads", [0, 0, 0, 0]))
        d = list(_attr(node, "dilations", [1, 1]))
        oh = (h + p[0] + p[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
        ow = (wd + p[1] + p[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
        cg = w.shape[1]
        return 2 * n * w.shape[0] * oh * ow * cg * k[0] * k[1], f"{w.shape[0]}x{cg}x{k[0]}x{k[1]} on {x_shape}"
    if node.op_type == "Gemm":
        trans_b = _attr(node, "transB", 0)
        nout, kk = (w.shape[0], w.shape[1]) if trans_b else (w.shape[1], w.shape[0])
        return 2 * x_shape[0] * kk * nout, f"M={x_shape[0]} K={kk} N={nout}"
    kk, nout = w.shape[-2], w.shape[-1]
    m = int(np.prod(x_shape[:-1]))
    return 2 * m * kk * nout, f"M={m} K={kk} N={nout}"


def extract_layers(path, batch):
    """[(label, flops, ModelProto)] for every Conv/Gemm/MatMul whose second input is a constant."""
    model = onnx.load(path)
    inferred = _fixed_batch(model, batch)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out = []
    for idx, node in enumerate(model.graph.node):
        if node.op_type not in LAYER_OPS or len(node.input) < 2 or node.input[1] not in inits:
            continue
        x_shape = _shape(inferred, node.input[0])
        if x_shape is None and node.op_type == "Gemm":
            w = inits[node.input[1]]
            x_shape = [batch, w.shape[1] if _attr(node, "transB", 0) else w.shape[0]]
        y_shape = _shape(inferred, node.output[0])
        if x_shape is None or y_shape is None:
            continue
        flops, desc = _flops(node, x_shape, inits)
        n = helper.make_node(node.op_type, ["x"] + list(node.input[1:]), ["y"], name="layer")
        n.attribute.extend(node.attribute)
        g = helper.make_graph(
            [n], "layer",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, y_shape)],
            [numpy_helper.from_array(inits[i], i) for i in node.input[1:] if i])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
        m.ir_version = 8
        out.append((f"{node.op_type}#{idx} {desc}", flops, m))
    return out


def tiny_model():
    """Relu on a [1, 1] tensor: measures the fixed cost of one call."""
    n = helper.make_node("Relu", ["x"], ["y"])
    g = helper.make_graph([n], "tiny", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m
