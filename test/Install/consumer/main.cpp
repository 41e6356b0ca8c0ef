// Parses a forward with the installed driver, runs flops-forward-train by
// name and prints the functions it built.
#include "flops/Driver/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdio>

static const char *kModel = R"(
func.func @forward(%x: tensor<4x3xf32>,
                   %w: tensor<3x2xf32> {flops.param, flops.name = "w"}) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
)";

int main() {
  namespace driver = mlir::flops::driver;
  driver::initializeDriver();
  driver::Session session;
  std::string error;
  auto module = session.parseString(kModel, "consumer", &error);
  if (!module || !driver::runPipeline(*module, "flops-forward-train", &error)) {
    std::fprintf(stderr, "consumer: %s\n%s\n", error.c_str(),
                 session.takeDiagnostics().c_str());
    return 1;
  }
  for (auto f : module->getOps<mlir::func::FuncOp>())
    std::printf("consumer: @%s\n", f.getName().str().c_str());
  return 0;
}
