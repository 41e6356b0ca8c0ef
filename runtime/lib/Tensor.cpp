//===- Tensor.cpp - A host tensor for the runtime's file I/O --------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Tensor.h"

#include <limits>
#include <new>

using namespace flops::rt;

size_t flops::rt::dtypeSize(DType t) {
  switch (t) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  return 0;
}

const char *flops::rt::dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "float32";
  case DType::F64:
    return "float64";
  case DType::I32:
    return "int32";
  case DType::I64:
    return "int64";
  case DType::U8:
    return "uint8";
  }
  return "?";
}

bool flops::rt::shapeSize(const std::vector<int64_t> &shape, size_t elemSize,
                          uint64_t *numElements, uint64_t *numBytes) {
  // Keep byte counts within int64 (and so within ptrdiff_t) for the callers.
  const uint64_t limit = static_cast<uint64_t>(
      std::numeric_limits<int64_t>::max());
  uint64_t n = 1;
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d == 0)
      zero = true;
  }
  if (zero) {
    *numElements = 0;
    *numBytes = 0;
    return true;
  }
  for (int64_t d : shape) {
    uint64_t e = static_cast<uint64_t>(d);
    if (n > limit / e)
      return false;
    n *= e;
  }
  if (elemSize != 0 && n > limit / elemSize)
    return false;
  *numElements = n;
  *numBytes = n * elemSize;
  return true;
}

std::string flops::rt::shapeToString(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool flops::rt::makeTensor(DType dtype, std::vector<int64_t> shape,
                           Tensor *out, std::string *error) {
  uint64_t n, bytes;
  if (!shapeSize(shape, dtypeSize(dtype), &n, &bytes)) {
    if (error)
      *error = "invalid tensor shape " + shapeToString(shape) +
               " (negative extent or size overflow)";
    return false;
  }
  try {
    std::vector<uint8_t> storage(static_cast<size_t>(bytes), 0);
    out->dtype = dtype;
    out->shape = std::move(shape);
    out->bytes = std::move(storage);
  } catch (const std::bad_alloc &) {
    if (error)
      *error = "out of memory allocating a " + shapeToString(shape) + " " +
               dtypeName(dtype) + " tensor (" + std::to_string(bytes) +
               " bytes)";
    return false;
  }
  return true;
}
