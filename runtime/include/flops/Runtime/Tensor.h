//===- Tensor.h - A host tensor for the runtime's file I/O ------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The dense, row-major (C order) host tensor that the data, parameter and
// checkpoint readers produce and the writers consume. It owns its bytes; the
// element type is a runtime tag. Nothing here throws to the caller: the
// functions that allocate report "out of memory" through their error string.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_TENSOR_H
#define FLOPS_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flops {
namespace rt {

/// Element types of the file formats the runtime reads and writes.
enum class DType : uint8_t { F32, F64, I32, I64, U8 };

/// Bytes per element.
size_t dtypeSize(DType t);
/// Lower-case NumPy-style name: "float32", "float64", "int32", "int64",
/// "uint8".
const char *dtypeName(DType t);

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::I64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::U8; };

/// Number of elements and bytes of a shape; false when an extent is negative
/// or the product overflows (the outputs are then unspecified).
bool shapeSize(const std::vector<int64_t> &shape, size_t elemSize,
               uint64_t *numElements, uint64_t *numBytes);

/// "60000x28x28"; "scalar" for rank 0.
std::string shapeToString(const std::vector<int64_t> &shape);

/// A dense row-major tensor. Invariant kept by the runtime's functions:
/// bytes.size() == numElements() * dtypeSize(dtype).
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// Product of the extents (1 for rank 0).
  int64_t numElements() const;
  /// Typed views; nullptr when T does not match dtype.
  template <typename T> T *data() {
    return DTypeOf<T>::value == dtype ? reinterpret_cast<T *>(bytes.data())
                                      : nullptr;
  }
  template <typename T> const T *data() const {
    return DTypeOf<T>::value == dtype
               ? reinterpret_cast<const T *>(bytes.data())
               : nullptr;
  }
  void *raw() { return bytes.data(); }
  const void *raw() const { return bytes.data(); }
};

/// Makes a zero-filled tensor. False (with a message) on a negative extent,
/// a size overflow or when the memory cannot be allocated.
bool makeTensor(DType dtype, std::vector<int64_t> shape, Tensor *out,
                std::string *error = nullptr);

/// Makes a tensor holding a copy of `values` (numElements(shape) of them).
template <typename T>
bool makeTensor(std::vector<int64_t> shape, const T *values, Tensor *out,
                std::string *error = nullptr) {
  if (!makeTensor(DTypeOf<T>::value, std::move(shape), out, error))
    return false;
  const uint8_t *p = reinterpret_cast<const uint8_t *>(values);
  out->bytes.assign(p, p + out->bytes.size());
  return true;
}

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_TENSOR_H
