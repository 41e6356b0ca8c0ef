//===- Onnx.h - import ONNX models as a flops @forward ----------*- C++ -*-===//
//
// The ONNX importer behind flops-import-onnx (docs/ONNX.md). A model becomes
// one function `@forward` in linalg/tensor/arith/math on tensors, in the form
// flops-forward-train accepts:
//  - graph inputs that are not initializers are the data arguments (first,
//    in graph order); a symbolic or zero extent is a dynamic dimension;
//  - float initializers with at least `minParamElements` elements are
//    parameters: arguments marked `flops.param` with `flops.name` = the
//    initializer's name, in initializer order; their values go to a
//    safetensors weights file. Other initializers (integers, scalars, the
//    running mean/variance of BatchNormalization) stay inline constants;
//  - the graph outputs are the results.
// ONNX shape inference runs first; its static extents check the importer's.
//
// Any failure (an unsupported op or attribute, a malformed or truncated
// file, inconsistent shapes) is an error message naming the node, its op
// type and the reason; nothing is written then.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_IMPORT_ONNX_H
#define FLOPS_IMPORT_ONNX_H

#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::flops::onnx_import {

struct ImportOptions {
  /// Name of the generated function.
  std::string entry = "forward";
  /// Float initializers with fewer elements stay inline constants.
  int64_t minParamElements = 2;
  /// Every initializer stays an inline constant (no parameters, no weights).
  bool inlineInitializers = false;
  /// Treat every dynamic (symbolic) extent of a graph input as static with
  /// this value when > 0 (e.g. to import a model for a fixed batch).
  int64_t staticBatch = 0;
  /// Graph inputs replaced by these values (inline constants, no argument):
  /// e.g. a shape or axes input that the model takes at run time but the
  /// importer needs at import time. f32/f64/i32/i64 tensors.
  std::map<std::string, ::flops::rt::Tensor> constantInputs;
};

struct ImportResult {
  OwningOpRef<ModuleOp> module;
  /// The parameters' values by flops.name, in argument order.
  ::flops::rt::SafeTensors weights;
  /// Number of parameters / data arguments of the function.
  unsigned numParams = 0, numInputs = 0;
};

/// The dialects the imported IR uses (func, linalg, tensor, arith, math).
void registerImportDialects(DialectRegistry &registry);

/// Imports a serialized ModelProto. `name` prefixes error messages.
bool importOnnxBytes(MLIRContext &ctx, const std::string &bytes,
                     const std::string &name, const ImportOptions &options,
                     ImportResult *out, std::string *error);

/// Reads and imports `path`.
bool importOnnxFile(MLIRContext &ctx, const std::string &path,
                    const ImportOptions &options, ImportResult *out,
                    std::string *error);

/// `OUT.mlir` -> `OUT.safetensors` (any other name gets `.safetensors`
/// appended).
std::string defaultWeightsPath(const std::string &mlirPath);

/// Writes the module to `mlirPath` and, when it has parameters, the weights
/// to `weightsPath`, each to a temporary file renamed into place; on failure
/// neither file is left behind.
bool writeImport(const ImportResult &result, const std::string &mlirPath,
                 const std::string &weightsPath, std::string *error);

/// Reads a serialized TensorProto (an ONNX test's input_0.pb) into a runtime
/// tensor (bool and uint8 become U8). `name` gets the tensor's name.
bool readTensorProtoFile(const std::string &path, ::flops::rt::Tensor *out,
                         std::string *name, std::string *error);

} // namespace mlir::flops::onnx_import

#endif // FLOPS_IMPORT_ONNX_H
