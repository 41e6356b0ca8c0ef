//===- FuzzIR.cpp - fuzz target: the IR front door ------------------------===//
//
// Bytes -> MLIR parser -> verifier -> flops-forward-train (the pass users
// run on their own modules), with the diagnostics swallowed. A crash, or a
// step the pass produced that does not verify, is a bug.
//
//===----------------------------------------------------------------------===//
#include "flops/Driver/Program.h"

#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace driver = mlir::flops::driver;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool init = (driver::initializeDriver(), true);
  (void)init;
  driver::Session session;
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module = session.parseString(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.mlir",
      &error);
  if (!module)
    return 0;
  (void)driver::runPipeline(
      *module,
      "builtin.module(flops-forward-train{batch-size=4 queries=2})", &error);
  (void)session.takeDiagnostics();
  return 0;
}
