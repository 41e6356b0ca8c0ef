//===- DistinctReturnBuffers.cpp - flops-distinct-return-buffers ----------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::flops {
#define GEN_PASS_DEF_DISTINCTRETURNBUFFERSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {
struct DistinctReturnBuffersPass
    : mlir::flops::impl::DistinctReturnBuffersPassBase<
          DistinctReturnBuffersPass> {
  void runOnOperation() override {
    bool failedCopy = false;
    getOperation().walk([&](func::ReturnOp ret) {
      llvm::SmallDenseSet<Value> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<MemRefType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        // The copy gets an identity layout (what the function boundary
        // uses) and the same dynamic sizes.
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            sizes.push_back(memref::DimOp::create(b, ret.getLoc(), v, d));
        auto plain = MemRefType::get(type.getShape(), type.getElementType(),
                                     MemRefLayoutAttrInterface(),
                                     type.getMemorySpace());
        if (plain != type) {
          ret.emitError("flops-distinct-return-buffers: a repeated result of "
                        "type ")
              << type << " has a non-identity layout";
          failedCopy = true;
          return;
        }
        Value copy = memref::AllocOp::create(b, ret.getLoc(), type, sizes);
        memref::CopyOp::create(b, ret.getLoc(), v, copy);
        operand.set(copy);
      }
    });
    if (failedCopy)
      signalPassFailure();
  }
};
} // namespace
