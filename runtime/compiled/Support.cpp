//===- Support.cpp - helpers lowered code calls, for linked programs ------===//
//
// MLIR's lowering may call `memrefCopy` (a strided copy), which the JIT takes
// from Debian's libmlir_c_runner_utils.so. That library needs libMLIR.so and
// libLLVM.so, so the programs of flops-compile carry their own.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstring>
#include <vector>

namespace {
/// MLIR's UnrankedMemRefType<char>: rank and a pointer to the ranked
/// descriptor {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Unranked {
  int64_t rank;
  void *descriptor;
};
} // namespace

extern "C" void memrefCopy(int64_t elemSize, Unranked *src, Unranked *dst) {
  int64_t rank = src->rank;
  const int64_t *s = static_cast<const int64_t *>(src->descriptor);
  const int64_t *d = static_cast<const int64_t *>(dst->descriptor);
  const char *sBase = reinterpret_cast<const char *>(s[1]) + s[2] * elemSize;
  char *dBase = reinterpret_cast<char *>(d[1]) + d[2] * elemSize;
  const int64_t *sizes = s + 3, *sStrides = s + 3 + rank,
                *dStrides = d + 3 + rank;
  int64_t n = 1;
  for (int64_t i = 0; i < rank; ++i)
    n *= sizes[i];
  if (n == 0)
    return;
  std::vector<int64_t> idx(size_t(rank), 0);
  int64_t so = 0, dO = 0;
  for (int64_t k = 0; k < n; ++k) {
    std::memcpy(dBase + dO * elemSize, sBase + so * elemSize,
                size_t(elemSize));
    for (int64_t i = rank - 1; i >= 0; --i) {
      so += sStrides[i];
      dO += dStrides[i];
      if (++idx[size_t(i)] < sizes[i])
        break;
      so -= sStrides[i] * sizes[i];
      dO -= dStrides[i] * sizes[i];
      idx[size_t(i)] = 0;
    }
  }
}
