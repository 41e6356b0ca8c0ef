//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The NumPy .npy format: "\x93NUMPY", a version (1.0: 2-byte little-endian
// header length; 2.0 and 3.0: 4-byte), an ASCII Python dict literal
// {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces
// and a newline, then the raw elements.
//
// Reading accepts versions 1.0, 2.0 and 3.0 and the little-endian (or
// byte-order-free) descrs '<f4' '<f8' '<i4' '<i8' '|u1' (also '<u1', 'u1').
// Big-endian data, other dtypes, Fortran order (unless the layout is the same
// as C order, i.e. at most one extent exceeds 1), malformed headers and data
// shorter or longer than the shape needs are errors naming the file.
//
// Writing produces what numpy.save writes: version 1.0 (2.0 if the header
// exceeds 65535 bytes), keys in sorted order, header padded so the data
// starts at a multiple of 64 bytes. Writes are atomic (FileIO.h).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_NPY_H
#define FLOPS_RUNTIME_NPY_H

#include "flops/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flops {
namespace rt {

/// Parses .npy bytes in memory; `name` prefixes error messages.
bool parseNpy(const uint8_t *data, size_t size, const std::string &name,
              Tensor *out, std::string *error = nullptr);

/// Reads a .npy file.
bool readNpy(const std::string &path, Tensor *out,
             std::string *error = nullptr);

/// The complete .npy encoding of `t` (header and data). False only when the
/// tensor is inconsistent (bytes.size() does not match its shape) or memory
/// runs out.
bool encodeNpy(const Tensor &t, std::vector<uint8_t> *out,
               std::string *error = nullptr);

/// Writes `t` as a .npy file, atomically.
bool writeNpy(const std::string &path, const Tensor &t,
              std::string *error = nullptr);

/// The numpy descr of a dtype: "<f4", "<f8", "<i4", "<i8", "|u1".
const char *npyDescr(DType t);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_NPY_H
