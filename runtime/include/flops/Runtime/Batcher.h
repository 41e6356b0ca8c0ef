//===- Batcher.h - Seeded epoch shuffling and batch gathering ---*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Training visits a fresh permutation of the N rows each epoch, in full
// batches of B (the last N mod B rows of the permutation are dropped); the
// permutation is a Fisher-Yates shuffle of 0..N-1 driven by Philox4x32-10, a
// pure function of (seed, epoch). Evaluation visits the rows in order in
// batches of B, the last one possibly partial. gatherRows copies the selected
// rows of a tensor into a contiguous batch buffer (optionally zero-padded to
// a fixed batch size).
//
// Random stream: key = the first two words of philox4x32_10(key(seed),
// {0x73687566 /* "shuf" */, 0, 0, 0}); draw k (k = 0, 1, ...) is the 64-bit
// word (w[2j] | w[2j+1] << 32), j = k % 2, of philox4x32_10(key, {lo32(k/2),
// hi32(k/2), lo32(epoch), hi32(epoch)}). For i = N-1 down to 1 the swap
// partner j in [0, i] is draw % (i+1), redrawing while the draw is below
// 2^64 mod (i+1) (no modulo bias).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_BATCHER_H
#define FLOPS_RUNTIME_BATCHER_H

#include "flops/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flops {
namespace rt {

/// The epoch's permutation of 0..n-1 (empty for n <= 0).
void shufflePermutation(uint64_t seed, uint64_t epoch, int64_t n,
                        std::vector<int64_t> *perm);

/// Number of full batches: n / batchSize (0 when either is not positive).
int64_t numFullBatches(int64_t n, int64_t batchSize);

/// Training batches: a shuffled order per epoch, full batches only.
class TrainBatches {
public:
  /// False (with a message) when numRows < 0 or batchSize <= 0.
  bool reset(int64_t numRows, int64_t batchSize, uint64_t seed,
             std::string *error = nullptr);
  /// Shuffles for `epoch` (any numbering; the permutation depends only on
  /// (seed, epoch)).
  void beginEpoch(uint64_t epoch);
  int64_t numBatches() const { return numFullBatches(numRows, batchSize); }
  int64_t size() const { return batchSize; }
  /// The batchSize row indices of batch b (0 <= b < numBatches()).
  const int64_t *batch(int64_t b) const { return order.data() + b * batchSize; }
  /// The whole permutation of this epoch.
  const std::vector<int64_t> &permutation() const { return order; }

private:
  int64_t numRows = 0, batchSize = 1;
  uint64_t seed = 0;
  std::vector<int64_t> order;
};

/// Evaluation batch: rows [begin, begin + size) in order.
struct BatchSpan {
  int64_t begin;
  int64_t size;
};

/// ceil(n / batchSize) batches covering 0..n-1 in order; all of size
/// batchSize except possibly the last. Empty when n <= 0 or batchSize <= 0.
std::vector<BatchSpan> evalBatches(int64_t n, int64_t batchSize);

/// Consecutive row indices begin, begin+1, ..., begin+size-1.
std::vector<int64_t> spanIndices(const BatchSpan &s);

/// dst = rows `rows[0..count)` of src (dimension 0 indexes rows), as a tensor
/// of shape [padTo, src.shape[1:]...] and src's dtype; rows count..padTo-1
/// are zero. padTo < count means padTo = count. dst's storage is reused when
/// it already has the right size. False on a rank-0 source, an index out of
/// range (naming it) or allocation failure.
bool gatherRows(const Tensor &src, const int64_t *rows, int64_t count,
                Tensor *dst, int64_t padTo = 0, std::string *error = nullptr);

/// Raw form: copies rowBytes bytes of each selected row to dst, contiguous.
/// No checks.
void gatherRowsRaw(const void *src, size_t rowBytes, const int64_t *rows,
                   int64_t count, void *dst);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_BATCHER_H
