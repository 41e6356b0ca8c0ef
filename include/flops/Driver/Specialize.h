//===- Specialize.h - give a function's dynamic batch a value ---*- C++ -*-===//
//
// flops-run compiles @forward for the rows of its input; flops-compile
// compiles it for a fixed batch (its C entry point takes static shapes, as
// the call ABI of Program.h needs).
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_DRIVER_SPECIALIZE_H
#define FLOPS_DRIVER_SPECIALIZE_H

#include <cstdint>
#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::flops::driver {

/// Gives every data argument of `fn` (those without `flops.param`) whose
/// first dimension is dynamic the static first dimension `batch`, and every
/// result whose first dimension is dynamic the same (tensor.cast at the
/// boundaries; the body is unchanged). False, with `fn` unchanged, when a
/// data argument or result has a dynamic dimension other than the first
/// (or a dynamic first dimension and no data argument sets it), a data
/// argument's static first dimension is not `batch`, or a parameter has no
/// static shape.
bool specializeBatch(func::FuncOp fn, int64_t batch, std::string *error);

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_SPECIALIZE_H
