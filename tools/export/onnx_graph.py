"""Helpers on ONNX files that need only the `onnx` package (1.12 under /usr/bin/python3,
1.17 under the pyenv python): op listings and a structural comparison of two models."""
import collections

import numpy as np
import onnx
from onnx import numpy_helper


def opset_of(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return None


def op_types(model):
    """Sorted distinct op types of the main graph (prefixed by domain when not the default)."""
    return sorted({(n.domain + "::" if n.domain not in ("", "ai.onnx") else "") + n.op_type
                   for n in model.graph.node})


def op_counts(model):
    return collections.Counter(n.op_type for n in model.graph.node)


def attr_value(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _value_info_text(vi):
    t = vi.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else
            (d.dim_value if d.HasField("dim_value") else "?") for d in t.shape.dim]
    return f"{vi.name}:{onnx.TensorProto.DataType.Name(t.elem_type)}{dims}"


def _node_text(n):
    attrs = []
    for a in sorted(n.attribute, key=lambda a: a.name):
        if a.type == onnx.AttributeProto.TENSOR:
            arr = numpy_helper.to_array(a.t)
            attrs.append(f"{a.name}=tensor{arr.dtype}{list(arr.shape)}:{arr.tobytes().hex()}")
        else:
            attrs.append(f"{a.name}={onnx.helper.get_attribute_value(a)!r}")
    return (f"{n.domain}:{n.op_type} name={n.name} in={list(n.input)} out={list(n.output)} "
            f"attrs=[{', '.join(attrs)}]")


def graph_differences(a, b, limit=20):
    """Human-readable differences between two ModelProtos: ir_version, opsets, graph inputs,
    outputs, nodes (op, name, wiring, attributes incl. Constant tensors) and initializers
    (name, dtype, shape, exact values). producer_name/producer_version/doc strings are ignored."""
    diffs = []
    if a.ir_version != b.ir_version:
        diffs.append(f"ir_version {a.ir_version} != {b.ir_version}")
    oa = sorted((i.domain, i.version) for i in a.opset_import)
    ob = sorted((i.domain, i.version) for i in b.opset_import)
    if oa != ob:
        diffs.append(f"opset_import {oa} != {ob}")
    ga, gb = a.graph, b.graph
    for what, la, lb in (("input", ga.input, gb.input), ("output", ga.output, gb.output)):
        ta, tb = [_value_info_text(v) for v in la], [_value_info_text(v) for v in lb]
        if ta != tb:
            diffs.append(f"graph {what}s {ta} != {tb}")
    na, nb = [_node_text(n) for n in ga.node], [_node_text(n) for n in gb.node]
    if len(na) != len(nb):
        diffs.append(f"node count {len(na)} != {len(nb)}")
    for i, (x, y) in enumerate(zip(na, nb)):
        if x != y:
            diffs.append(f"node {i}:\n    {x[:300]}\n != {y[:300]}")
    ia = {t.name: t for t in ga.initializer}
    ib = {t.name: t for t in gb.initializer}
    if [t.name for t in ga.initializer] != [t.name for t in gb.initializer]:
        diffs.append(f"initializer names/order {sorted(ia)} != {sorted(ib)}")
    for name in sorted(set(ia) & set(ib)):
        x, y = numpy_helper.to_array(ia[name]), numpy_helper.to_array(ib[name])
        if x.dtype != y.dtype or x.shape != y.shape:
            diffs.append(f"initializer {name}: {x.dtype}{x.shape} != {y.dtype}{y.shape}")
        elif x.tobytes() != y.tobytes():
            d = np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))) if x.size else 0
            diffs.append(f"initializer {name}: values differ (max abs diff {d:.3g})")
    return diffs[:limit] + ([f"... {len(diffs) - limit} more"] if len(diffs) > limit else [])


def bn_nodes(model):
    return [n for n in model.graph.node if n.op_type == "BatchNormalization"]


def summary_line(model):
    counts = op_counts(model)
    return ", ".join(f"{op}x{counts[op]}" if counts[op] > 1 else op for op in sorted(counts))
