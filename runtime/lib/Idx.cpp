//===- Idx.cpp - IDX (MNIST-format) data files ----------------------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Idx.h"
#include "flops/Runtime/FileIO.h"

#include <cstdio>
#include <new>

#include <sys/stat.h>

using namespace flops::rt;

namespace {

uint32_t be32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", v);
  return buf;
}

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

const char *idxKind(uint32_t magic) {
  switch (magic) {
  case kIdxImagesMagic:
    return "IDX image file";
  case kIdxLabelsMagic:
    return "IDX label file";
  default:
    return "IDX file";
  }
}

bool readIdx(const std::string &path, uint32_t magic, Tensor *out,
             std::string *error) {
  std::vector<uint8_t> bytes;
  if (!readMaybeGzipFile(path, &bytes, error))
    return false;
  return parseIdx(bytes.data(), bytes.size(), magic, path, out, error);
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

bool flops::rt::parseIdx(const uint8_t *data, size_t size,
                         uint32_t expectedMagic, const std::string &name,
                         Tensor *out, std::string *error) {
  std::string what = idxKind(expectedMagic);
  if (size < 4) {
    setError(error, name + ": truncated " + what + ": " + std::to_string(size) +
                        " bytes, too short for the 4-byte magic number");
    return false;
  }
  uint32_t magic = be32(data);
  if (magic != expectedMagic) {
    std::string hint;
    if ((magic >> 8) == 0x08 && magic != expectedMagic)
      hint = " (an IDX file of rank " + std::to_string(magic & 0xFF) +
             ", but a rank-" + std::to_string(expectedMagic & 0xFF) +
             " file is needed)";
    else if ((magic >> 16) == 0 && (magic >> 8) != 0)
      hint = " (IDX element type " + hex32((magic >> 8) & 0xFF) +
             "; only unsigned bytes, 0x08, are supported)";
    else
      hint = " (not an IDX file)";
    setError(error, name + ": wrong magic number " + hex32(magic) +
                        ", expected " + hex32(expectedMagic) + " for an " +
                        what + hint);
    return false;
  }
  size_t rank = expectedMagic & 0xFF;
  size_t headerSize = 4 + 4 * rank;
  if (size < headerSize) {
    setError(error, name + ": truncated " + what + ": the header needs " +
                        std::to_string(headerSize) + " bytes, the file has " +
                        std::to_string(size));
    return false;
  }
  std::vector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i)
    shape[i] = be32(data + 4 + 4 * i);
  uint64_t numElements, numBytes;
  if (!shapeSize(shape, 1, &numElements, &numBytes)) {
    setError(error, name + ": corrupt " + what + ": extents " +
                        shapeToString(shape) + " overflow");
    return false;
  }
  uint64_t have = size - headerSize;
  if (have != numBytes) {
    setError(error,
             name + (have < numBytes ? ": truncated " : ": size mismatch in ") +
                 what + ": the header declares " + shapeToString(shape) +
                 " = " + std::to_string(numBytes) + " data bytes, the file " +
                 (have < numBytes ? "has only " : "has ") +
                 std::to_string(have));
    return false;
  }
  std::string allocError;
  if (!makeTensor<uint8_t>(shape, data + headerSize, out, &allocError)) {
    setError(error, name + ": " + allocError);
    return false;
  }
  return true;
}

bool flops::rt::readIdxImages(const std::string &path, Tensor *images,
                              std::string *error) {
  Tensor raw;
  if (!readIdx(path, kIdxImagesMagic, &raw, error))
    return false;
  Tensor result;
  std::string allocError;
  if (!makeTensor(DType::F32, raw.shape, &result, &allocError)) {
    setError(error, path + ": " + allocError);
    return false;
  }
  const uint8_t *src = raw.data<uint8_t>();
  float *dst = result.data<float>();
  int64_t n = raw.numElements();
  for (int64_t i = 0; i < n; ++i)
    dst[i] = static_cast<float>(src[i]) / 255.0f;
  *images = std::move(result);
  return true;
}

bool flops::rt::readIdxLabels(const std::string &path, Tensor *labels,
                              std::string *error) {
  Tensor raw;
  if (!readIdx(path, kIdxLabelsMagic, &raw, error))
    return false;
  Tensor result;
  std::string allocError;
  if (!makeTensor(DType::I32, raw.shape, &result, &allocError)) {
    setError(error, path + ": " + allocError);
    return false;
  }
  const uint8_t *src = raw.data<uint8_t>();
  int32_t *dst = result.data<int32_t>();
  int64_t n = raw.numElements();
  for (int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
  *labels = std::move(result);
  return true;
}

bool flops::rt::loadFashionMnist(const std::string &dir, Split split,
                                 Dataset *out, std::string *error) {
  try {
    std::string prefix = dir.empty() ? std::string() : dir + "/";
    const char *stem = split == Split::Train ? "train" : "t10k";
    auto locate = [&](const std::string &base, std::string *path) {
      std::string plain = prefix + stem + base;
      if (fileExists(plain)) {
        *path = plain;
        return true;
      }
      if (fileExists(plain + ".gz")) {
        *path = plain + ".gz";
        return true;
      }
      setError(error, plain + ".gz: Fashion-MNIST file not found (neither " +
                          plain + " nor " + plain +
                          ".gz exists; on Debian install the "
                          "dataset-fashion-mnist package)");
      return false;
    };
    Dataset d;
    if (!locate("-images-idx3-ubyte", &d.imagesPath) ||
        !locate("-labels-idx1-ubyte", &d.labelsPath))
      return false;
    if (!readIdxImages(d.imagesPath, &d.images, error) ||
        !readIdxLabels(d.labelsPath, &d.labels, error))
      return false;
    if (d.images.shape[0] != d.labels.shape[0]) {
      setError(error, d.labelsPath + ": " + std::to_string(d.labels.shape[0]) +
                          " labels, but " + d.imagesPath + " holds " +
                          std::to_string(d.images.shape[0]) + " images");
      return false;
    }
    const int32_t *lab = d.labels.data<int32_t>();
    for (int64_t i = 0, n = d.labels.numElements(); i < n; ++i)
      if (lab[i] < 0 || lab[i] > 9) {
        setError(error, d.labelsPath + ": label " + std::to_string(lab[i]) +
                            " at index " + std::to_string(i) +
                            " is outside the Fashion-MNIST classes 0..9");
        return false;
      }
    d.numClasses = 10;
    *out = std::move(d);
  } catch (const std::bad_alloc &) {
    setError(error, dir + ": out of memory loading Fashion-MNIST");
    return false;
  }
  return true;
}
