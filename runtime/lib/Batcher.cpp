//===- Batcher.cpp - Seeded epoch shuffling and batch gathering -----------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Batcher.h"
#include "flops/Runtime/Philox.h"

#include <cstring>
#include <new>
#include <numeric>

using namespace flops::rt;

namespace {

constexpr uint32_t kShuffleTag = 0x73687566; // "shuf"

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

/// Sequential 64-bit draws of the (seed, epoch) shuffle stream.
class ShuffleStream {
public:
  ShuffleStream(uint64_t seed, uint64_t epoch) : epoch(epoch) {
    std::array<uint32_t, 4> w = philox4x32_10(
        {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)},
        {kShuffleTag, 0, 0, 0});
    key = {w[0], w[1]};
  }

  uint64_t next() {
    if ((k & 1) == 0) {
      uint64_t b = k >> 1;
      block = philox4x32_10(key, {static_cast<uint32_t>(b),
                                  static_cast<uint32_t>(b >> 32),
                                  static_cast<uint32_t>(epoch),
                                  static_cast<uint32_t>(epoch >> 32)});
    }
    unsigned j = static_cast<unsigned>(k & 1);
    ++k;
    return uint64_t(block[2 * j]) | uint64_t(block[2 * j + 1]) << 32;
  }

  /// Uniform in [0, bound), bound >= 1, without modulo bias.
  uint64_t below(uint64_t bound) {
    uint64_t threshold = (0 - bound) % bound; // 2^64 mod bound.
    for (;;) {
      uint64_t r = next();
      if (r >= threshold)
        return r % bound;
    }
  }

private:
  std::array<uint32_t, 2> key;
  uint64_t epoch;
  uint64_t k = 0;
  std::array<uint32_t, 4> block{};
};

} // namespace

void flops::rt::shufflePermutation(uint64_t seed, uint64_t epoch, int64_t n,
                                   std::vector<int64_t> *perm) {
  perm->resize(n > 0 ? static_cast<size_t>(n) : 0);
  std::iota(perm->begin(), perm->end(), int64_t(0));
  ShuffleStream rng(seed, epoch);
  for (int64_t i = n - 1; i >= 1; --i) {
    int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap((*perm)[i], (*perm)[j]);
  }
}

int64_t flops::rt::numFullBatches(int64_t n, int64_t batchSize) {
  if (n <= 0 || batchSize <= 0)
    return 0;
  return n / batchSize;
}

bool TrainBatches::reset(int64_t rows, int64_t batch, uint64_t s,
                         std::string *error) {
  if (rows < 0 || batch <= 0) {
    setError(error, "invalid batching: " + std::to_string(rows) + " rows in "
                        "batches of " + std::to_string(batch));
    return false;
  }
  try {
    order.resize(static_cast<size_t>(rows));
  } catch (const std::bad_alloc &) {
    setError(error, "out of memory for the row order of " +
                        std::to_string(rows) + " rows");
    return false;
  }
  std::iota(order.begin(), order.end(), int64_t(0));
  numRows = rows;
  batchSize = batch;
  seed = s;
  return true;
}

void TrainBatches::beginEpoch(uint64_t epoch) {
  // Same size as after reset(): never reallocates.
  shufflePermutation(seed, epoch, numRows, &order);
}

std::vector<BatchSpan> flops::rt::evalBatches(int64_t n, int64_t batchSize) {
  std::vector<BatchSpan> spans;
  if (n <= 0 || batchSize <= 0)
    return spans;
  for (int64_t b = 0; b < n; b += batchSize)
    spans.push_back({b, std::min(batchSize, n - b)});
  return spans;
}

std::vector<int64_t> flops::rt::spanIndices(const BatchSpan &s) {
  std::vector<int64_t> idx(s.size > 0 ? static_cast<size_t>(s.size) : 0);
  std::iota(idx.begin(), idx.end(), s.begin);
  return idx;
}

void flops::rt::gatherRowsRaw(const void *src, size_t rowBytes,
                              const int64_t *rows, int64_t count, void *dst) {
  const uint8_t *s = static_cast<const uint8_t *>(src);
  uint8_t *d = static_cast<uint8_t *>(dst);
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(d + static_cast<size_t>(i) * rowBytes,
                s + static_cast<size_t>(rows[i]) * rowBytes, rowBytes);
}

bool flops::rt::gatherRows(const Tensor &src, const int64_t *rows,
                           int64_t count, Tensor *dst, int64_t padTo,
                           std::string *error) {
  if (src.shape.empty()) {
    setError(error, "cannot gather rows of a rank-0 tensor");
    return false;
  }
  if (dst == &src) {
    setError(error, "gatherRows: the destination must differ from the source");
    return false;
  }
  if (count < 0) {
    setError(error, "negative row count " + std::to_string(count));
    return false;
  }
  int64_t n = src.shape[0];
  for (int64_t i = 0; i < count; ++i)
    if (rows[i] < 0 || rows[i] >= n) {
      setError(error, "row index " + std::to_string(rows[i]) +
                          " (batch position " + std::to_string(i) +
                          ") is out of range for " + std::to_string(n) +
                          " rows");
      return false;
    }
  int64_t outRows = padTo > count ? padTo : count;
  std::vector<int64_t> shape = src.shape;
  shape[0] = outRows;
  size_t rowBytes =
      n > 0 ? src.bytes.size() / static_cast<size_t>(n) : 0;
  uint64_t numElements, numBytes;
  if (!shapeSize(shape, dtypeSize(src.dtype), &numElements, &numBytes)) {
    setError(error, "batch shape " + shapeToString(shape) + " overflows");
    return false;
  }
  if (dst->dtype != src.dtype || dst->shape != shape ||
      dst->bytes.size() != numBytes) {
    if (!makeTensor(src.dtype, shape, dst, error))
      return false;
  }
  gatherRowsRaw(src.bytes.data(), rowBytes, rows, count, dst->bytes.data());
  size_t used = static_cast<size_t>(count) * rowBytes;
  std::memset(dst->bytes.data() + used, 0, dst->bytes.size() - used);
  return true;
}
