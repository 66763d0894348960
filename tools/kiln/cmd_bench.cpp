// kiln bench: time an ONNX model (compiled in memory on --target) or a .so artifact (through
// the runtime, on preallocated outputs) on random inputs, per batch size and thread count.
#include <cstdio>
#include <functional>
#include <iostream>

#include "artifact.h"
#include "bench_inputs.h"
#include "commands.h"
#include "common.h"
#include "json.h"
#include "targets.h"

namespace kiln::cli {

namespace {

constexpr uint32_t kSeed = 1234;

struct Row {
  int64_t batch = 0;
  int threads = 0;
  TimingStats time;
  double imagesPerSecond() const { return time.median > 0 ? batch / time.median : 0; }
};

/// Warm-up then timed runs of `runOnce`.
TimingStats timeRuns(int64_t warmup, int64_t iters, const std::function<void()>& runOnce) {
  for (int64_t i = 0; i < warmup; ++i) runOnce();
  std::vector<double> samples;
  for (int64_t i = 0; i < iters; ++i) {
    Stopwatch clock;
    runOnce();
    samples.push_back(clock.seconds());
  }
  return summarise(std::move(samples));
}

void printTable(const std::string& model, const std::string& runsOn, int64_t warmup,
                int64_t iters, const std::vector<Row>& rows) {
  std::printf("model: %s (%s)\n%lld warm-up + %lld timed runs per row\n\n", model.c_str(),
              runsOn.c_str(), static_cast<long long>(warmup), static_cast<long long>(iters));
  std::printf("%7s %8s %11s %11s %11s %13s\n", "batch", "threads", "median", "p10", "p90",
              "images/s");
  for (const Row& r : rows)
    std::printf("%7lld %8d %11s %11s %11s %13.1f\n", static_cast<long long>(r.batch), r.threads,
                formatDuration(r.time.median).c_str(), formatDuration(r.time.p10).c_str(),
                formatDuration(r.time.p90).c_str(), r.imagesPerSecond());
}

void printJson(const std::string& model, const std::string& runsOn, int64_t warmup,
               int64_t iters, const std::vector<Row>& rows) {
  JsonWriter w;
  w.beginObject()
      .field("model", model)
      .field("runs_on", runsOn)
      .field("seed", static_cast<int64_t>(kSeed))
      .field("warmup", warmup)
      .field("iters", iters)
      .key("results")
      .beginArray();
  for (const Row& r : rows)
    w.beginObject()
        .field("batch", r.batch)
        .field("threads", r.threads)
        .field("median_s", r.time.median)
        .field("p10_s", r.time.p10)
        .field("p90_s", r.time.p90)
        .field("min_s", r.time.min)
        .field("max_s", r.time.max)
        .field("images_per_s", r.imagesPerSecond())
        .endObject();
  w.endArray().endObject();
  std::cout << w.str();
}

}  // namespace

ArgParser benchParser() {
  ArgParser p("kiln bench", "MODEL [--batch 1,64,256] [--threads 1,2] [--iters N] [options]",
              "Times a model on random inputs (fixed seed) with the batch (first, symbolic)\n"
              "dim of every input set to each --batch size: --warmup untimed runs, then\n"
              "--iters timed runs per (batch, threads). Prints the median run time, the\n"
              "spread (10th and 90th percentiles) and the throughput (batch / median).\n"
              "MODEL is an ONNX model (run on --target after the pass pipeline; each run\n"
              "allocates its outputs) or a .so artifact from 'kiln compile' (run by the\n"
              "kiln runtime into outputs allocated once).");
  p.positional("MODEL", "MODEL.onnx or an artifact MODEL.so")
      .option("--batch", "B,...", "batch sizes (default 1,64,256; a fixed model batch wins)")
      .option("--threads", "T,...", "thread counts (default 1)")
      .option("--warmup", "N", "untimed runs before timing each row (default 3)")
      .option("--iters", "N", "timed runs per row (default 20)")
      .option("--target", "NAME", targetHelp() + "\n(ONNX models only)")
      .flag("--json", "print one JSON object instead of a table");
  addPassFlags(p);
  p.epilog("exit codes: 0 success, 1 error (bad model, unsupported input shape), 2 usage error");
  return p;
}

int runBench(const ParsedArgs& args) {
  const std::string modelPath = args.positionals[0];
  const std::vector<int64_t> batches = args.getIntList("--batch", {1, 64, 256}, 1);
  std::vector<int64_t> threadCounts = args.getIntList("--threads", {1}, 1);
  const int64_t warmup = args.getInt("--warmup", 3, 0);
  const int64_t iters = args.getInt("--iters", 20, 1);

  std::unique_ptr<PreparedModel> model;
  ArtifactModel* artifact = nullptr;
  std::string runsOn;
  if (detectModelFile(modelPath) == ModelFileKind::Artifact) {
    for (const char* onnxOnly : {"--target", "--no-fold-bn", "--pytorch-running-var"})
      if (args.has(onnxOnly))
        throw UsageError(std::string(onnxOnly) + " applies to ONNX models, but '" + modelPath +
                         "' is a compiled artifact");
    auto loaded = std::make_unique<ArtifactModel>(modelPath);
    artifact = loaded.get();
    model = std::move(loaded);
    runsOn = "artifact, kiln runtime, preallocated outputs";
  } else {
    const TargetInfo& target = findTarget(args.get("--target", defaultTargetName()));
    if (!target.usesThreads && threadCounts != std::vector<int64_t>{1}) {
      std::fprintf(stderr, "kiln: note: target %s runs on one thread; ignoring --threads\n",
                   target.name.c_str());
      threadCounts = {1};
    }
    std::unique_ptr<Graph> original = loadModel(modelPath);
    const PassOptions passes = passOptionsFrom(args);
    Stopwatch compileClock;
    model = target.prepare(optimise(*original, passes).graph);
    runsOn = std::string("target ") + target.name + (passes.foldBatchNorm ? ", BN folded" : ", BN unfolded") +
             ", prepared in " + formatDuration(compileClock.seconds());
  }

  std::vector<Row> rows;
  for (int64_t batch : benchBatchSizes(model->graph(), batches)) {
    const TensorMap inputs = randomInputs(model->graph(), batch, kSeed);
    for (int64_t threads : threadCounts) {
      Row row{batch, static_cast<int>(threads), {}};
      if (artifact) {
        BoundRun bound = artifact->bind(inputs);
        row.time = timeRuns(warmup, iters, [&] { artifact->runBound(bound, row.threads); });
      } else {
        row.time = timeRuns(warmup, iters, [&] { model->run(inputs, row.threads); });
      }
      rows.push_back(row);
      if (!args.has("--json"))
        std::fprintf(stderr, "bench: batch %lld, threads %d done\n", static_cast<long long>(batch),
                     row.threads);
    }
  }
  if (args.has("--json"))
    printJson(modelPath, runsOn, warmup, iters, rows);
  else
    printTable(modelPath, runsOn, warmup, iters, rows);
  return kExitOk;
}

}  // namespace kiln::cli
