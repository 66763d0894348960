#pragma once
/// The fuzzer's oracles for the artifact loader, written from the contracts (kiln_artifact.h,
/// kiln.h, the ELF layout) rather than from the loader's code: what an accepted image or
/// descriptor must satisfy, and what a loaded model must report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kiln/kiln.h"
#include "kiln/kiln_artifact.h"

namespace kiln::fuzz {

/// Why an image of `size` bytes the loader accepted for dlopen still is not safe to map (ELF
/// header, program-header table or a PT_LOAD segment beyond the end), or "".
std::string acceptedElfViolation(const uint8_t* data, size_t size);

/// The first rule of kiln_artifact.h that an accepted descriptor breaks, or "".
std::string acceptedDescriptorViolation(const kiln_artifact_v1& desc);

/// Where `model` (loaded from `desc`) reports something other than the descriptor, or "".
std::string loadedModelMismatch(const kiln_model* model, const kiln_artifact_v1& desc);

}  // namespace kiln::fuzz
