// The C++ RAII wrapper (kiln.hpp): loading, queries, runs, and errors as exceptions.
#include "kiln/kiln.hpp"

#include "runtime_test_util.h"

namespace kiln::rt::test {
namespace {

TEST(CppWrapper, LoadQueryAndRun) {
  Model model = Model::load(fakePath());
  EXPECT_EQ(model.name(), "fake_relu");
  ASSERT_EQ(model.numInputs(), 2u);
  TensorInfo x = model.input(0);
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.dims, (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(x.dimNames, (std::vector<std::string>{"N", ""}));
  EXPECT_EQ(model.output(2).dimNames[0], "N*4");

  FakeInputs in(6, 9);
  std::vector<kiln_tensor> inputs = {view(in.x.data(), {6, 4}, "x"), view(in.k.data(), {6})};
  std::vector<Tensor> outs = model.runAlloc(inputs, 2);
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[0].dims(), (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(outs[2].numElements(), 24);
  EXPECT_TRUE(matches(FakeExpected(in), outs[0].data<float>(), outs[1].data<double>(), outs[2].data<float>()));
  EXPECT_THROW(outs[1].data<float>(), Error);  // s is float64
}

TEST(CppWrapper, InferThenRunIntoOwnBuffers) {
  Model model = Model::load(fakePath());
  FakeInputs in(3, 4);
  std::vector<kiln_tensor> inputs = {view(in.x.data(), {3, 4}), view(in.k.data(), {3})};
  std::vector<kiln_tensor> outputs = model.inferOutputs(inputs);
  std::vector<std::vector<unsigned char>> storage;
  for (kiln_tensor& t : outputs) {
    storage.emplace_back(t.bytes);
    t.data = storage.back().data();
  }
  model.run(inputs, outputs);
  EXPECT_TRUE(matches(FakeExpected(in), static_cast<float*>(outputs[0].data), static_cast<double*>(outputs[1].data),
                      static_cast<float*>(outputs[2].data)));
}

TEST(CppWrapper, FailuresThrowErrorWithStatusAndMessage) {
  try {
    Model::load("/nonexistent/m.so");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), KILN_STATUS_IO_ERROR);
    EXPECT_STREQ(e.what(), "cannot open '/nonexistent/m.so': No such file or directory");
  }
  Model model = Model::load(fakePath());
  std::vector<float> x(8);
  std::vector<int64_t> k(3);
  try {
    model.runAlloc({view(x.data(), {2, 4}), view(k.data(), {3})});
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), KILN_STATUS_INVALID_INPUT);
    EXPECT_STREQ(e.what(), "input 'k': expected int64 [N] (N=2 from input 'x'), got int64 [3]");
  }
}

TEST(CppWrapper, MovedTensorFreesOnce) {
  Model model = Model::load(fakePath());
  FakeInputs in(2, 1);
  std::vector<Tensor> outs = model.runAlloc({view(in.x.data(), {2, 4}), view(in.k.data(), {2})});
  Tensor moved = std::move(outs[0]);
  EXPECT_EQ(outs[0].raw().data, nullptr);
  EXPECT_NE(moved.raw().data, nullptr);
  outs[1] = std::move(moved);  // frees the old s, takes y; ASan flags a double free or leak
  EXPECT_EQ(outs[1].dims(), (std::vector<int64_t>{2, 4}));
}

}  // namespace
}  // namespace kiln::rt::test
