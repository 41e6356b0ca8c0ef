//===- FuzzOnnx.cpp - fuzz target: the ONNX importer ----------------------===//
//
// Bytes -> importOnnxBytes (protobuf parse, shape inference, constant
// folding, every op handler) -> the module verifies, or a clean error.
//
//===----------------------------------------------------------------------===//
#include "flops/Import/Onnx.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace imp = mlir::flops::onnx_import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    imp::registerImportDialects(*r);
    return r;
  }();
  mlir::MLIRContext ctx(*registry);
  ctx.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler quiet(&ctx, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  imp::ImportOptions opts;
  imp::ImportResult result;
  std::string error;
  std::string bytes(reinterpret_cast<const char *>(data), size);
  if (imp::importOnnxBytes(ctx, bytes, "fuzz.onnx", opts, &result, &error) &&
      mlir::failed(mlir::verify(*result.module)))
    std::abort(); // the importer must never produce invalid IR
  return 0;
}
