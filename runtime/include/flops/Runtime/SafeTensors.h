//===- SafeTensors.h - safetensors parameter/checkpoint files ---*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON
//   {"<name>": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [b, e]},
//    ..., "__metadata__": {"key": "value", ...}}
// (optionally padded with trailing spaces), then the data buffer; each
// tensor's little-endian C-order bytes are buffer[b, e).
//
// Supported dtypes: F32, F64, I32, I64 and U8. Reading rejects, naming the
// file and the tensor: a header length past the end of the file or above
// 100 MB, malformed JSON, missing or ill-typed fields, unsupported dtypes,
// byte ranges that disagree with dtype x shape, and ranges that do not tile
// the buffer exactly (overlaps, holes, trailing bytes). Metadata values must
// be strings.
//
// Writing lays the tensors out in the given order, pads the header with
// spaces so the data starts 8-byte aligned, and replaces the target
// atomically (FileIO.h).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_SAFETENSORS_H
#define FLOPS_RUNTIME_SAFETENSORS_H

#include "flops/Runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace flops {
namespace rt {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// The contents of a safetensors file.
struct SafeTensors {
  /// Tensors in data-buffer order (which is the order they were written in).
  std::vector<NamedTensor> tensors;
  /// The "__metadata__" map (e.g. step, epoch, seed, options as strings).
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`, or nullptr.
  const Tensor *find(const std::string &name) const;
  Tensor *find(const std::string &name);
  /// Appends a tensor (no duplicate check; writing reports duplicates).
  void add(std::string name, Tensor t) {
    tensors.push_back({std::move(name), std::move(t)});
  }
};

/// "F32", "F64", "I32", "I64", "U8".
const char *safetensorsDType(DType t);

/// Parses safetensors bytes in memory; `name` prefixes error messages.
bool parseSafeTensors(const uint8_t *data, size_t size,
                      const std::string &name, SafeTensors *out,
                      std::string *error = nullptr);

/// Reads a safetensors file.
bool readSafeTensors(const std::string &path, SafeTensors *out,
                     std::string *error = nullptr);

/// The header (length prefix and padded JSON) for `st`. False on an empty or
/// duplicate name, the reserved name "__metadata__", or a tensor whose bytes
/// do not match its shape.
bool encodeSafeTensorsHeader(const SafeTensors &st, std::vector<uint8_t> *out,
                             std::string *error = nullptr);

/// Writes `st` to `path` atomically.
bool writeSafeTensors(const std::string &path, const SafeTensors &st,
                      std::string *error = nullptr);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_SAFETENSORS_H
