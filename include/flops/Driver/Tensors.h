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
#include "flops/Runtime/StepABI.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace mlir::flops::driver {

// Moved to the LLVM-free runtime (StepABI.h).
using rt::convertTensor;
using rt::fillParameter;
using rt::PingPongState;
using rt::rowElements;
using rt::rowShape;

} // namespace mlir::flops::driver

#endif // FLOPS_DRIVER_TENSORS_H
