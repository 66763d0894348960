// libFuzzer target fuzz_artifact (and, in builds without libFuzzer, the body of the replay
// driver): bytes -> what the runtime checks of an artifact before it trusts it, all in this
// process and without ever loading the bytes as code (nothing here calls dlopen):
//  - an input that starts with the ELF magic is the image of a shared library: the checks the
//    loader makes before dlopen (elf_check.h), and, when they accept it, an independent check
//    that dlopen could map it without reading past its end;
//  - any other input is a descriptor (descriptor_codec.h) laid out as an artifact lays it out:
//    kiln_model_from_artifact validates and unpacks it; an accepted one must keep the rules of
//    kiln_artifact.h and the model must report what it declared; its CPU-feature list goes
//    through the loader's feature check.
// A refusal with the documented status is the expected outcome; a crash, a sanitizer report,
// another status (INTERNAL: an exception escaped) or a broken contract aborts.
#include <elf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "artifact_contract.h"
#include "descriptor_codec.h"
#include "elf_check.h"
#include "error.h"
#include "model.h"

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "fuzz_artifact: %s\n", what.c_str());
  std::abort();
}

void fuzzElf(const uint8_t* data, size_t size) {
  const std::string problem = kiln::rt::impl::elfImageProblem(data, size);
  if (!problem.empty()) return;
  if (std::string v = kiln::fuzz::acceptedElfViolation(data, size); !v.empty())
    bug("the loader would dlopen an image whose " + v);
}

void fuzzDescriptor(const uint8_t* data, size_t size) {
  auto a = kiln::fuzz::decodeArtifact(data, size);
  kiln_model* model = nullptr;
  const kiln_status s = kiln_model_from_artifact(&a->desc.header, "fuzz-descriptor", &model);
  if (s == KILN_STATUS_OK) {
    if (std::string v = kiln::fuzz::acceptedDescriptorViolation(a->desc); !v.empty())
      bug("accepted a descriptor that breaks kiln_artifact.h: " + v);
    std::string mismatch = kiln::fuzz::loadedModelMismatch(model, a->desc);
    kiln_model_free(model);
    if (!mismatch.empty()) bug("the loaded model reports another " + mismatch + " than its descriptor");
  } else {
    if (model) bug("a refused descriptor left a model in *out");
    if (s != KILN_STATUS_NOT_AN_ARTIFACT && s != KILN_STATUS_ABI_MISMATCH)
      bug(std::string("descriptor refused with ") + kiln_status_string(s) + ": " + kiln_last_error());
    if (!*kiln_last_error()) bug("descriptor refused without a message");
  }
  if (a->hasCpuFeatures) {
    try {
      kiln::rt::impl::checkCpuFeatureList(a->cpuFeatures.c_str(), "fuzz-descriptor");
    } catch (const kiln::rt::impl::Failure& f) {
      if (f.status != KILN_STATUS_UNSUPPORTED || f.message.empty()) bug("CPU features refused with " + f.message);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= SELFMAG && std::memcmp(data, ELFMAG, SELFMAG) == 0) fuzzElf(data, size);
  else fuzzDescriptor(data, size);
  return 0;
}
