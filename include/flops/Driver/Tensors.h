//===- Tensors.h - host tensors for the driver tools ------------*- C++ -*-===//
//
// Helpers shared by flops-train and flops-run: dtype conversion of loaded
// arrays, parameter loading (safetensors, by flops.name) and initialisation,
// and fitting data rows to a model input.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_TENSORS_H
#define FLOPS_DRIVER_TENSORS_H

#include "flops/Driver/Program.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace mlir::flops::driver {

/// Converts `in` to `to` elementwise (a copy when the types agree). With
/// `u8AsUnit`, u8 → float divides by 255 (images stored as bytes).
bool convertTensor(const rt::Tensor &in, rt::DType to, bool u8AsUnit,
                   rt::Tensor *out, std::string *error);

/// Fills the parameter buffer `dst` (spec `spec`): from `file` (tensor
/// `spec.name`, same shape; f64 is converted) when `file` is given, else
/// by `init` (He/Glorot for rank >= 2, zeros for rank < 2, i.e. biases)
/// with `seed` and stream `stream`.
/// A step function's state (its first `numState` arguments, returned as
/// its first `numState` results) held twice, for calls that alternate: call
/// `s` reads `sets[s]` and writes `sets[1 - s]`. `allocate` sizes `args[s]`
/// to every argument with the state bound, and `results[s]` to the other
/// set's state buffers; the caller binds the rest (inputs, scalars) and
/// appends further results (metrics). No allocation per call.
struct PingPongState {
  std::vector<Buffer> sets[2];
  std::vector<ArgValue> args[2];
  std::vector<Buffer *> results[2];
  bool allocate(const FunctionSignature &fn, unsigned numState,
                std::string *error, std::shared_ptr<Device> device = nullptr);
};

bool fillParameter(const TensorSpec &spec, const rt::SafeTensors *file,
                   const std::string &fileName, rt::InitKind init,
                   uint64_t seed, uint32_t stream, Buffer *dst,
                   std::string *error);

/// Values per row (the product of the extents after the first).
int64_t rowElements(const std::vector<int64_t> &shape);

/// "28x28" (the extents after the first, or "scalar").
std::string rowShape(const std::vector<int64_t> &shape);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_TENSORS_H
