/* The pass C API from C: registers the three pass groups, creates each
 * flops-forward-train / flops-to-linalg / codegen pass object and prints
 * whether it exists. Run by test/CAPI/passes.mlir. */
#include "flops-c/Passes.h"

#include <stdio.h>

int main(void) {
  mlirRegisterFlopsTransformsPasses();
  mlirRegisterFlopsConversionPasses();
  mlirRegisterFlopsCodegenPasses();
  MlirPass forward = mlirCreateFlopsTransformsForwardTrainPass();
  MlirPass toLinalg = mlirCreateFlopsConversionConvertFlopsToLinalgPass();
  printf("forward-train pass: %s\n", forward.ptr ? "created" : "null");
  printf("flops-to-linalg pass: %s\n", toLinalg.ptr ? "created" : "null");
  /* The passes are owned by whoever adds them to a pass manager (MLIR's C
   * API, mlirPassManagerAddOwnedPass); this test only creates them. */
  return forward.ptr && toLinalg.ptr ? 0 : 1;
}
