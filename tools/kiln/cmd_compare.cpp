// kiln compare: the same data through the BN-folded model, the unfolded model (both on the
// chosen target) and the fp64 reference evaluation of the original graph; reports accuracy,
// top-1 agreement, logit deviations and timings.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "common.h"
#include "compare_stats.h"
#include "dataset.h"
#include "graph_summary.h"
#include "json.h"
#include "kiln/support/error.h"
#include "targets.h"

namespace kiln::cli {

namespace {

/// Reshapes [N, ...] images to the model input's rank when the per-image sizes agree
/// ([N,1,28,28] -> [N,784] for an MLP).
void fitToInput(Tensor& images, const Value& input, const std::string& source) {
  if (!input.hasShape || static_cast<int64_t>(input.shape.size()) == images.rank()) return;
  std::vector<int64_t> dims = {images.dims[0]};
  int64_t perImage = 1;
  for (size_t i = 1; i < input.shape.size(); ++i) {
    if (!input.shape[i].isKnown()) dims.clear();
    if (dims.empty()) break;
    dims.push_back(input.shape[i].value);
    perImage *= input.shape[i].value;
  }
  if (dims.empty() || input.shape.empty() || perImage * images.dims[0] != images.size())
    throw Error(ErrorCode::InvalidInput, "data " + shapeToString(shapeOf(images.dims)) +
                                             " from " + source + " does not fit model input '" +
                                             input.name + "' " + shapeText(input));
  images.dims = dims;
}

/// Progress on stderr: rewritten in place each batch on a terminal, else every ~10%.
class Progress {
 public:
  explicit Progress(int64_t total) : total_(total), tty_(::isatty(STDERR_FILENO) != 0) {}
  void update(int64_t done) {
    if (tty_) {
      std::fprintf(stderr, "\rcompare: %lld/%lld images", static_cast<long long>(done),
                   static_cast<long long>(total_));
    } else if (int decile = static_cast<int>(10 * done / total_); decile > lastDecile_) {
      lastDecile_ = decile;
      std::fprintf(stderr, "compare: %d%% (%lld/%lld images)\n", 10 * decile,
                   static_cast<long long>(done), static_cast<long long>(total_));
    }
    std::fflush(stderr);
  }
  void finish() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  int64_t total_;
  bool tty_;
  int lastDecile_ = 0;
};

struct Settings {
  std::string model, dataDescription, target;
  int64_t batch = 100;
  double atol = 1e-4, rtol = 1e-4;
  bool hasLabels = false;
};

void jsonVariant(JsonWriter& w, const VariantStats& s, const Settings& cfg, bool isRef) {
  w.key(s.name).beginObject();
  w.key("accuracy");
  cfg.hasLabels ? w.value(s.accuracy()) : w.null();
  if (!isRef)
    w.field("agreement_fp64", s.agreement())
        .field("max_abs_dev", s.maxAbsDev)
        .field("max_rel_dev", s.maxRelDev)
        .field("within_tolerance", s.withinTolerance);
  w.field("seconds", s.seconds).field("ms_per_image", s.msPerImage()).endObject();
}

void printJson(const Settings& cfg, const VariantStats& folded, const VariantStats& unfolded,
               const VariantStats& ref) {
  JsonWriter w;
  w.beginObject()
      .field("model", cfg.model)
      .field("data", cfg.dataDescription)
      .field("images", ref.images)
      .field("batch", cfg.batch)
      .field("target", cfg.target)
      .field("atol", cfg.atol)
      .field("rtol", cfg.rtol);
  jsonVariant(w, folded, cfg, false);
  jsonVariant(w, unfolded, cfg, false);
  jsonVariant(w, ref, cfg, true);
  w.field("folded_unfolded_agreement", agreement(folded.predictions, unfolded.predictions))
      .field("passed", folded.withinTolerance && unfolded.withinTolerance)
      .endObject();
  std::cout << w.str();
}

void printText(const Settings& cfg, const VariantStats& folded, const VariantStats& unfolded,
               const VariantStats& ref) {
  std::printf("model:  %s\ndata:   %s, %lld images, batches of %lld\ntarget: %s\n\n",
              cfg.model.c_str(), cfg.dataDescription.c_str(),
              static_cast<long long>(ref.images), static_cast<long long>(cfg.batch),
              cfg.target.c_str());
  std::printf("%-10s %9s %12s %12s %12s %11s %11s\n", "variant", "accuracy", "agree fp64",
              "max |dev|", "max rel dev", "time", "per image");
  auto accuracy = [&](const VariantStats& s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.4f", s.accuracy());
    return cfg.hasLabels ? std::string(buf) : std::string("-");
  };
  for (const VariantStats* s : {&folded, &unfolded})
    std::printf("%-10s %9s %12.4f %12.3e %12.3e %11s %11s\n", s->name.c_str(),
                accuracy(*s).c_str(), s->agreement(), s->maxAbsDev, s->maxRelDev,
                formatDuration(s->seconds).c_str(),
                formatDuration(s->msPerImage() / 1e3).c_str());
  std::printf("%-10s %9s %12s %12s %12s %11s %11s\n", ref.name.c_str(), accuracy(ref).c_str(),
              "-", "-", "-", formatDuration(ref.seconds).c_str(),
              formatDuration(ref.msPerImage() / 1e3).c_str());
  std::printf("\nfolded vs unfolded top-1 agreement: %.4f\n",
              agreement(folded.predictions, unfolded.predictions));
  bool ok = folded.withinTolerance && unfolded.withinTolerance;
  std::printf("tolerance |y - y64| <= %g + %g * max|y64|: %s\n", cfg.atol, cfg.rtol,
              ok ? "ok" : "EXCEEDED");
}

Dataset loadData(const ParsedArgs& args, const Graph& g) {
  const int64_t limit = args.getInt("--limit", 0, 1);
  if (args.has("--labels") && !args.has("--inputs"))
    throw UsageError("kiln compare: --labels needs --inputs");
  if (args.has("--inputs")) {
    if (args.has("--data")) throw UsageError("kiln compare: give --data or --inputs, not both");
    return loadArrayDataset(args.get("--inputs"), args.get("--labels"), g.inputs[0]->name, limit);
  }
  std::string data = args.get("--data", "fashion-mnist");
  return loadIdxTestSet(data == "fashion-mnist" ? kFashionMnistDir : data, limit);
}

}  // namespace

ArgParser compareParser() {
  ArgParser p("kiln compare", "MODEL.onnx [--data fashion-mnist|DIR | --inputs FILE --labels FILE] [options]",
              "Runs three variants on the same data -- folded (pass pipeline with BN folding),\n"
              "unfolded (--no-fold-bn pipeline), both on --target, and the fp64 reference\n"
              "(the imported graph evaluated in float64) -- and reports accuracy, top-1\n"
              "agreement, max logit deviation from fp64 and timings.");
  p.positional("MODEL.onnx", "the ONNX model (a single float32 input)")
      .option("--data", "fashion-mnist|DIR",
              std::string("Fashion-MNIST test split from 'fashion-mnist' (default) =\n") +
                  kFashionMnistDir + ", or from a folder DIR holding\n" +
                  "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]")
      .option("--inputs", "FILE.npz|FILE.npy",
              "inputs from an array instead (npz: the member named like the model\n"
              "input, or 'input'; a 'labels' member is used as labels)")
      .option("--labels", "FILE.npy", "labels for --inputs (integer array)")
      .option("--limit", "N", "use at most N images (default: all)")
      .option("--batch", "B", "images per run (default 100; a fixed model batch wins)")
      .option("--atol", "A", "absolute tolerance (default 1e-4)")
      .option("--rtol", "R", "tolerance relative to max |fp64 logit| of a batch (default 1e-4)")
      .option("--target", "NAME", targetHelp())
      .option("--threads", "N", "threads for the cpu target (default 1)")
      .flag("--json", "print one JSON object instead of text");
  p.epilog(
      "Progress goes to stderr. Max relative deviation = max |y - y64| / max |y64| per batch.\n"
      "exit codes: 0 success, 1 error (bad model or data), 2 usage error,\n"
      "3 folded or unfolded max |y - y64| > atol + rtol * max |y64| in some batch");
  return p;
}

int runCompare(const ParsedArgs& args) {
  Settings cfg;
  cfg.model = args.positionals[0];
  const TargetInfo& target = findTarget(args.get("--target", defaultTargetName()));
  cfg.target = std::string(target.name) + " (" + target.description + ")";
  cfg.batch = args.getInt("--batch", 100, 1);
  cfg.atol = args.getDouble("--atol", 1e-4);
  cfg.rtol = args.getDouble("--rtol", 1e-4);
  const int threads = static_cast<int>(args.getInt("--threads", 1, 1));

  std::unique_ptr<Graph> original = loadModel(cfg.model);
  if (original->inputs.size() != 1 || original->inputs[0]->dtype != DType::F32) {
    std::string has;
    for (const Value* v : original->inputs)
      has += (has.empty() ? "" : ", ") + v->name + " " + typeText(*v);
    throw Error(ErrorCode::Unsupported, "kiln compare needs a model with one float32 input; '" +
                                            cfg.model + "' has: " + (has.empty() ? "none" : has));
  }
  const Value& input = *original->inputs[0];
  Dataset data = loadData(args, *original);
  if (data.images.dims[0] == 0) throw Error(ErrorCode::InvalidInput, "no images in " + data.description);
  fitToInput(data.images, input, data.description);
  cfg.dataDescription = data.description;
  cfg.hasLabels = !data.labels.empty();
  int64_t padTo = 0;
  if (input.hasShape && !input.shape.empty() && input.shape[0].isKnown()) {
    if (args.has("--batch") && cfg.batch != input.shape[0].value)
      std::fprintf(stderr, "kiln: note: model input '%s' has a fixed batch of %lld; using it\n",
                   input.name.c_str(), static_cast<long long>(input.shape[0].value));
    cfg.batch = padTo = input.shape[0].value;
  }

  PassOptions foldOpts, noFoldOpts;
  noFoldOpts.foldBatchNorm = false;
  auto folded = target.prepare(optimise(*original, foldOpts).graph);
  auto unfolded = target.prepare(optimise(*original, noFoldOpts).graph);
  auto reference = prepareReference64(original->clone());
  const std::string outName = original->outputs.at(0)->name;

  VariantStats fs{"folded"}, us{"unfolded"}, rs{"fp64"};
  fs.refPredictions = us.refPredictions = &rs.predictions;
  auto timed = [&](PreparedModel& m, const TensorMap& in, VariantStats& s) {
    Stopwatch clock;
    TensorMap out = m.run(in, threads);
    s.seconds += clock.seconds();
    auto it = out.find(outName);
    if (it == out.end()) throw Error(ErrorCode::Internal, "output '" + outName + "' missing");
    return std::move(it->second);
  };

  const int64_t total = data.images.dims[0];
  Progress progress(total);
  for (int64_t begin = 0; begin < total; begin += cfg.batch) {
    const int64_t end = std::min(total, begin + cfg.batch);
    TensorMap in = {{input.name, sliceRows(data.images, begin, end, padTo)}};
    Tensor y64 = timed(*reference, in, rs);
    rs.addBatch(y64, nullptr, end - begin, data.labels, begin, cfg.atol, cfg.rtol);
    fs.addBatch(timed(*folded, in, fs), &y64, end - begin, data.labels, begin, cfg.atol, cfg.rtol);
    us.addBatch(timed(*unfolded, in, us), &y64, end - begin, data.labels, begin, cfg.atol,
                cfg.rtol);
    progress.update(end);
  }
  progress.finish();

  if (args.has("--json"))
    printJson(cfg, fs, us, rs);
  else
    printText(cfg, fs, us, rs);
  return fs.withinTolerance && us.withinTolerance ? kExitOk : kExitTolerance;
}

}  // namespace kiln::cli
