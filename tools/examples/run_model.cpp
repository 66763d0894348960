// Loads a model compiled with `kiln compile MODEL.onnx -o model.so` and runs one batch of
// 4 images through it with the kiln runtime (kiln.hpp). Usage: run_model model.so
#include <kiln/kiln.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) try {
  if (argc != 2) return std::fprintf(stderr, "usage: %s model.so\n", argv[0]), 2;
  kiln::rt::Model model = kiln::rt::Model::load(argv[1]);
  kiln::rt::TensorInfo in = model.input(0);      // e.g. "input" float32 [N,1,28,28]
  std::vector<int64_t> dims = in.dims;
  dims[0] = 4;                                   // the symbolic batch dim N: 4 images
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  std::vector<float> pixels(count);
  for (int64_t i = 0; i < count; ++i)  // image n: vertical stripes at brightness (n+1)/4
    pixels[i] = float(i % 28) / 27.0f * float(1 + i / (count / 4)) / 4.0f;
  std::vector<kiln::rt::Tensor> out = model.runAlloc({kiln::rt::view(pixels.data(), dims)});
  const float* logits = out[0].data<float>();    // [4,10], owned by out[0]
  const int64_t classes = out[0].dims()[1];
  for (int64_t n = 0; n < 4; ++n) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (logits[n * classes + c] > logits[n * classes + best]) best = c;
    std::printf("image %lld: class %lld (logit %.4f)\n", (long long)n, (long long)best,
                logits[n * classes + best]);
  }
} catch (const kiln::rt::Error& e) {  // status + the runtime's message
  std::fprintf(stderr, "kiln: %s (%s)\n", e.what(), kiln_status_string(e.status()));
  return 1;
}
