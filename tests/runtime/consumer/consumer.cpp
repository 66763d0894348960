// Loads the fake artifact through an installed kiln (find_package(kiln), kiln.hpp), runs it
// on two rows and checks y = relu(2x + 1). Exit status 0 on success.
#include <kiln/kiln.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  try {
    kiln::rt::Model model = kiln::rt::Model::load(argv[1]);
    float x[8] = {-2, -1, -0.5f, 0, 0.5f, 1, 2, 3};
    int64_t k[2] = {1, 2};
    auto outs = model.runAlloc({kiln::rt::view(x, {2, 4}), kiln::rt::view(k, {2})});
    const float* y = outs[0].data<float>();
    for (int i = 0; i < 8; ++i) {
      float want = 2 * x[i] + 1 > 0 ? 2 * x[i] + 1 : 0;
      if (y[i] != want) {
        std::printf("y[%d] = %g, want %g\n", i, y[i], want);
        return 1;
      }
    }
    std::printf("consumer_cpp: %s ok\n", model.name().c_str());
    return 0;
  } catch (const kiln::rt::Error& e) {
    std::printf("kiln error %d: %s\n", static_cast<int>(e.status()), e.what());
    return 1;
  }
}
