// Entry points of the exporter: model header, graph inputs/outputs with their types,
// constants as initializers, every node through its op exporter; atomic file writing.
#include "kiln/frontend/onnx_export.h"

#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include "kiln/support/error.h"
#include "kiln/support/file_io.h"
#include "op_export.h"
#include "tensor_codec.h"

namespace kiln {

namespace {

constexpr int64_t kExportOpset = 17;
constexpr int64_t kExportIrVersion = 8;

void writeValueInfo(const Value* v, onnx::ValueInfoProto* vi) {
  vi->set_name(v->name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(fe::dtypeToOnnx(v->dtype));
  if (!v->hasShape) return;
  auto* shape = tt->mutable_shape();
  for (const Dim& d : v->shape) {
    auto* dim = shape->add_dim();
    if (d.isKnown())
      dim->set_dim_value(d.value);
    else if (!d.symbol.empty())
      dim->set_dim_param(d.symbol);
  }
}

void writeGraph(const Graph& g, onnx::GraphProto& gp) {
  gp.set_name(g.name.empty() ? "kiln" : g.name);
  fe::OnnxWriter w(g, gp);
  for (const Value* v : g.inputs) writeValueInfo(v, gp.add_input());
  for (const auto& n : g.nodes()) fe::opExporter(n->kind)(w, *n);
  // Only constants the emitted nodes read (an exporter may have consumed one as an
  // attribute, e.g. ReduceMean axes, or replaced it with a reshaped copy).
  for (int i = 0; i < gp.node_size(); ++i)
    for (const std::string& in : gp.node(i).input())
      if (!in.empty()) w.writeConstant(g.findValue(in));
  for (const Value* v : g.outputs) w.writeConstant(v);
  for (const Value* v : g.outputs) writeValueInfo(v, gp.add_output());
  for (const auto& n : g.nodes())
    for (const Value* v : n->outputs)
      if (v && v->hasShape && !g.isOutput(v)) writeValueInfo(v, gp.add_value_info());
}

}  // namespace

std::string exportOnnxBytes(const Graph& g) {
  onnx::ModelProto model;
  model.set_ir_version(kExportIrVersion);
  model.set_producer_name("kiln");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);
  writeGraph(g, *model.mutable_graph());
  if (model.ByteSizeLong() > static_cast<size_t>(INT_MAX))
    throw Error(ErrorCode::Unsupported,
                "graph '" + g.name + "' is larger than 2 GiB, too large for one ONNX file");
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(ErrorCode::Internal, "serialising graph '" + g.name + "' failed");
  return bytes;
}

void exportOnnxFile(const Graph& g, const std::string& path) {
  writeFileAtomic(path, exportOnnxBytes(g));
}

}  // namespace kiln
