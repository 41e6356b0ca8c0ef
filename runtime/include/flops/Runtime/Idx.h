//===- Idx.h - IDX (MNIST-format) data files --------------------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// IDX files (LeCun's MNIST format, also used by Fashion-MNIST): a 4-byte
// big-endian magic 0x0000TTNN (TT = element type, NN = rank), NN big-endian
// uint32 extents, then the elements in row-major order. Only unsigned-byte
// data (TT = 0x08) is accepted: images are magic 0x00000803 (N x rows x cols),
// labels 0x00000801 (N). Files may be plain or gzip-compressed; the content,
// not the name, decides. Every error message starts with the file's path.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_IDX_H
#define FLOPS_RUNTIME_IDX_H

#include "flops/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flops {
namespace rt {

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

/// Parses IDX bytes already in memory (decompressed) whose magic must be
/// `expectedMagic` (0x000008NN). The result is a U8 tensor with the file's
/// extents. `name` prefixes error messages. Rejects a wrong magic, a header
/// or data shorter than declared (truncated) and bytes past the declared data.
bool parseIdx(const uint8_t *data, size_t size, uint32_t expectedMagic,
              const std::string &name, Tensor *out,
              std::string *error = nullptr);

/// Reads an image file (magic 0x00000803) as an F32 tensor N x rows x cols
/// with every byte p mapped to float(p) / 255.0f, so values lie in [0, 1].
bool readIdxImages(const std::string &path, Tensor *images,
                   std::string *error = nullptr);

/// Reads a label file (magic 0x00000801) as an I32 tensor of N labels.
bool readIdxLabels(const std::string &path, Tensor *labels,
                   std::string *error = nullptr);

/// Debian's dataset-fashion-mnist location.
constexpr const char *kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

enum class Split { Train, Test };

/// One split of an image classification data set.
struct Dataset {
  Tensor images; // F32, N x rows x cols, values in [0, 1].
  Tensor labels; // I32, N.
  int64_t numClasses = 0;
  std::string imagesPath, labelsPath;
  int64_t size() const { return labels.numElements(); }
};

/// Loads Fashion-MNIST from `dir`: {train,t10k}-{images-idx3,labels-idx1}-ubyte
/// with or without a ".gz" suffix (the uncompressed name is preferred when
/// both exist). Checks that images and labels have the same count and that
/// every label is in 0..9; numClasses is set to 10.
bool loadFashionMnist(const std::string &dir, Split split, Dataset *out,
                      std::string *error = nullptr);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_IDX_H
