//===- FuzzIdx.cpp - fuzz target: the IDX (MNIST) reader ------------------===//
#include "flops/Runtime/FileIO.h"
#include "flops/Runtime/Idx.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader reads .gz files through gunzip first.
  std::vector<uint8_t> inflated;
  if (flops::rt::isGzip(data, size)) {
    std::string error;
    if (!flops::rt::gunzip(data, size, "fuzz.idx.gz", &inflated, &error))
      return 0;
    data = inflated.data();
    size = inflated.size();
  }
  // Images (magic 0x803) and labels (0x801), as the data loader reads them.
  for (uint32_t magic : {0x00000803u, 0x00000801u}) {
    flops::rt::Tensor t;
    std::string error;
    (void)flops::rt::parseIdx(data, size, magic, "fuzz.idx", &t, &error);
  }
  return 0;
}
