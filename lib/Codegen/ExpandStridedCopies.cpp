//===- ExpandStridedCopies.cpp - the flops-cpu-expand-strided-copies pass -===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::flops {
#define GEN_PASS_DEF_CPUEXPANDSTRIDEDCOPIESPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {

/// What the LLVM conversion copies with a memcpy (the same test as its
/// memref.copy lowering).
bool isContiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

struct CPUExpandStridedCopiesPass
    : mlir::flops::impl::CPUExpandStridedCopiesPassBase<
          CPUExpandStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      Type source = copy.getSource().getType();
      Type target = copy.getTarget().getType();
      // Ranked memrefs only: an unranked copy has no linalg form.
      if (isa<MemRefType>(source) && isa<MemRefType>(target) &&
          !(isContiguous(source) && isContiguous(target)))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      rewriter.eraseOp(copy);
    }
  }
};

} // namespace
