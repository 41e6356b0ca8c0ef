//===- FuzzSafeTensors.cpp - fuzz target: the safetensors reader ----------===//
#include "flops/Runtime/SafeTensors.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  flops::rt::SafeTensors st;
  std::string error;
  if (flops::rt::parseSafeTensors(data, size, "fuzz.safetensors", &st,
                                  &error)) {
    std::vector<uint8_t> header;
    (void)flops::rt::encodeSafeTensorsHeader(st, &header, &error);
  }
  return 0;
}
