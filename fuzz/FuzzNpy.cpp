//===- FuzzNpy.cpp - fuzz target: the .npy reader -------------------------===//
#include "flops/Runtime/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  flops::rt::Tensor t;
  std::string error;
  if (flops::rt::parseNpy(data, size, "fuzz.npy", &t, &error)) {
    // A parsed array must round-trip through the writer.
    std::vector<uint8_t> bytes;
    (void)flops::rt::encodeNpy(t, &bytes, &error);
  }
  return 0;
}
