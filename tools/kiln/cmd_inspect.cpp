// kiln inspect: what the model looks like before and after the pass pipeline.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <set>

#include "commands.h"
#include "common.h"
#include "graph_summary.h"
#include "json.h"
#include "kiln/passes/pipeline.h"

namespace kiln::cli {

namespace {

void printValues(const char* title, const std::vector<Value*>& values) {
  std::cout << title << ":\n";
  for (const Value* v : values) std::cout << "  " << v->name << "  " << typeText(*v) << "\n";
}

void printOpCounts(const Graph& before, const Graph& after) {
  auto b = opCounts(before), a = opCounts(after);
  std::set<std::string> ops;
  for (const auto& [op, n] : b) ops.insert(op);
  for (const auto& [op, n] : a) ops.insert(op);
  size_t width = 4;
  for (const std::string& op : ops) width = std::max(width, op.size());
  std::cout << "ops:\n  " << std::left << std::setw(static_cast<int>(width)) << "op"
            << std::right << std::setw(8) << "before" << std::setw(8) << "after" << "\n";
  for (const std::string& op : ops)
    std::cout << "  " << std::left << std::setw(static_cast<int>(width)) << op << std::right
              << std::setw(8) << (b.count(op) ? b[op] : 0) << std::setw(8)
              << (a.count(op) ? a[op] : 0) << "\n";
  std::cout << "  " << std::left << std::setw(static_cast<int>(width)) << "(total)"
            << std::right << std::setw(8) << before.nodes().size() << std::setw(8)
            << after.nodes().size() << "\n";
}

void printNodeTable(const Graph& g) {
  size_t nameWidth = 4, opWidth = 2;
  for (const auto& n : g.nodes()) {
    nameWidth = std::max(nameWidth, n->name.size());
    opWidth = std::max(opWidth, displayOpName(n->kind).size());
  }
  std::cout << "nodes after passes:\n";
  auto row = [&](const std::string& name, const std::string& op, const std::string& shape) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(nameWidth)) << name << "  "
              << std::setw(static_cast<int>(opWidth)) << op << "  " << shape << "\n";
  };
  row("name", "op", "output shape");
  for (const auto& n : g.nodes()) {
    std::string shapes;
    for (const Value* out : n->outputs)
      if (out) shapes += (shapes.empty() ? "" : ", ") + shapeText(*out);
    row(n->name, displayOpName(n->kind), shapes);
  }
}

void printExplanation(const PassReport& report) {
  std::cout << "batch norms:\n";
  if (report.bn.empty()) std::cout << "  (none)\n";
  for (const BnDecision& d : report.bn)
    std::cout << "  " << d.node << " [" << d.pattern << "]: " << d.action
              << (d.reason.empty() ? "" : " (" + d.reason + ")") << "\n";
  std::cout << "pass log:\n";
  for (const std::string& line : report.log) std::cout << "  " << line << "\n";
}

void printJson(const std::string& modelPath, const Graph& before, const OptimisedGraph& opt) {
  JsonWriter w;
  w.beginObject().field("model", modelPath);
  w.key("inputs").beginArray();
  for (const Value* v : before.inputs) writeValueJson(w, *v);
  w.endArray().key("outputs").beginArray();
  for (const Value* v : before.outputs) writeValueJson(w, *v);
  w.endArray().key("passes").beginArray();
  for (const std::string& p : pipelinePassNames()) w.value(p);
  w.endArray();
  w.key("before");
  writeGraphJson(w, before);
  w.key("after");
  writeGraphJson(w, *opt.graph);
  w.key("batch_norms").beginArray();
  for (const BnDecision& d : opt.report.bn)
    w.beginObject()
        .field("node", d.node)
        .field("pattern", d.pattern)
        .field("action", d.action)
        .field("reason", d.reason)
        .endObject();
  w.endArray().key("log").beginArray();
  for (const std::string& line : opt.report.log) w.value(line);
  w.endArray().endObject();
  std::cout << w.str();
}

}  // namespace

ArgParser inspectParser() {
  ArgParser p("kiln inspect", "MODEL.onnx [options]",
              "Prints the model's inputs and outputs, op counts and parameter counts before\n"
              "and after the pass pipeline, and the node table after it.");
  p.positional("MODEL.onnx", "the ONNX model")
      .flag("--explain", "also print what happened to every BatchNorm, and the pass log")
      .option("--dot-before", "FILE.dot", "write the imported graph as Graphviz")
      .option("--dot-after", "FILE.dot", "write the graph after the passes as Graphviz")
      .flag("--json", "print one JSON object instead of text");
  addPassFlags(p);
  p.epilog("exit codes: 0 success, 1 error, 2 usage error");
  return p;
}

int runInspect(const ParsedArgs& args) {
  const std::string modelPath = args.positionals[0];
  for (const char* flag : {"--dot-before", "--dot-after"})
    if (args.has(flag)) {
      refuseOverwrite(args.get(flag), {modelPath}, flag);
      checkOutputFolder(args.get(flag));
    }

  std::unique_ptr<Graph> original = loadModel(modelPath);
  for (const char* flag : {"--dot-before", "--dot-after"})
    if (args.has(flag)) refuseOverwrite(args.get(flag), original->externalDataFiles, flag);
  OptimisedGraph opt = optimise(*original, passOptionsFrom(args));
  if (args.has("--dot-before")) writeTextFileAtomic(args.get("--dot-before"), graphToDot(*original));
  if (args.has("--dot-after")) writeTextFileAtomic(args.get("--dot-after"), graphToDot(*opt.graph));

  if (args.has("--json")) {
    printJson(modelPath, *original, opt);
    return kExitOk;
  }
  std::cout << "model: " << modelPath << "\n";
  printValues("inputs", original->inputs);
  printValues("outputs", original->outputs);
  printOpCounts(*original, *opt.graph);
  std::cout << "parameters: " << parameterCount(*original) << " before, "
            << parameterCount(*opt.graph) << " after\n";
  printNodeTable(*opt.graph);
  if (args.has("--explain")) printExplanation(opt.report);
  return kExitOk;
}

}  // namespace kiln::cli
