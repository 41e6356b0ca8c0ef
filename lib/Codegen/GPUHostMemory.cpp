//===- GPUHostMemory.cpp - managed buffers and exact kernel math -----------===//
//
// flops-gpu-host-shared-memory: host allocations as gpu.alloc host_shared
// (CUDA managed memory), so that host code and kernels see the same buffers.
// flops-gpu-exact-math: math.sqrt in kernels as llvm.intr.sqrt (sqrt.rn).
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUHOSTSHAREDMEMORYPASS
#define GEN_PASS_DEF_GPUEXACTMATHPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// `gpu.dealloc` must be async in the gpu-to-llvm lowering: a stream, the
/// free on it, and a synchronising wait.
void createDealloc(RewriterBase &rewriter, Location loc, Value memref) {
  Type token = gpu::AsyncTokenType::get(rewriter.getContext());
  Value start = gpu::WaitOp::create(rewriter, loc, token, ValueRange())
                    .getAsyncToken();
  Value freed = gpu::DeallocOp::create(rewriter, loc, token,
                                       ValueRange{start}, memref)
                    .getAsyncToken();
  gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{freed});
}

Value createSharedAlloc(RewriterBase &rewriter, Location loc, MemRefType type,
                        ValueRange dynamicSizes, bool hostShared = true) {
  if (!hostShared) {
    // gpu-to-llvm lowers only the async form of a device allocation.
    Type token = gpu::AsyncTokenType::get(rewriter.getContext());
    Value start = gpu::WaitOp::create(rewriter, loc, token, ValueRange())
                      .getAsyncToken();
    auto alloc = gpu::AllocOp::create(rewriter, loc, type, token,
                                      ValueRange{start}, dynamicSizes,
                                      /*symbolOperands=*/ValueRange(),
                                      /*hostShared=*/false);
    gpu::WaitOp::create(rewriter, loc, Type(),
                        ValueRange{alloc.getAsyncToken()});
    return alloc.getMemref();
  }
  return gpu::AllocOp::create(rewriter, loc, type, /*asyncToken=*/Type(),
                              /*asyncDependencies=*/ValueRange(),
                              dynamicSizes, /*symbolOperands=*/ValueRange(),
                              hostShared)
      .getMemref();
}

/// `gpu.memcpy dst, src` on a stream of its own, synchronised; returns the
/// copy.
Operation *createSyncCopy(RewriterBase &rewriter, Location loc, Value dst,
                    Value src) {
  Type token = gpu::AsyncTokenType::get(rewriter.getContext());
  Value start = gpu::WaitOp::create(rewriter, loc, token, ValueRange())
                    .getAsyncToken();
  auto copy = gpu::MemcpyOp::create(rewriter, loc, token, ValueRange{start},
                                    dst, src);
  gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{copy.getAsyncToken()});
  return copy;
}

struct GPUHostSharedMemoryPass
    : mlir::flops::impl::GPUHostSharedMemoryPassBase<
          GPUHostSharedMemoryPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // A caller that keeps its buffers on the device (test harnesses).
    bool device = getOperation()->hasAttr("flops.gpu.device_memory");
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (isa<memref::AllocOp, memref::DeallocOp, memref::GetGlobalOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      Location loc = op->getLoc();
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getSymbolOperands().empty() ||
            !alloc.getType().getLayout().isIdentity()) {
          alloc.emitError("flops-gpu-host-shared-memory: only identity-layout "
                          "allocations are supported");
          return signalPassFailure();
        }
        rewriter.replaceOp(alloc,
                           createSharedAlloc(rewriter, loc, alloc.getType(),
                                             alloc.getDynamicSizes(),
                                             /*hostShared=*/!device));
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        createDealloc(rewriter, loc, dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else {
        // A constant global lives in host memory: the kernels read a
        // managed copy, freed at the end of the block.
        auto global = cast<memref::GetGlobalOp>(op);
        auto type = global.getType();
        if (!type.hasStaticShape() || !type.getLayout().isIdentity())
          continue;
        rewriter.setInsertionPointAfter(global);
        Value copy = createSharedAlloc(rewriter, loc, type, ValueRange(),
                                       /*hostShared=*/!device);
        Operation *copyOp;
        if (device) {
          copyOp = createSyncCopy(rewriter, loc, copy, global);
        } else {
          copyOp = memref::CopyOp::create(rewriter, loc, global, copy);
        }
        rewriter.replaceAllUsesExcept(global, copy, copyOp);
        rewriter.setInsertionPoint(global->getBlock()->getTerminator());
        createDealloc(rewriter, loc, copy);
      }
    }
  }
};

struct GPUExactMathPass
    : mlir::flops::impl::GPUExactMathPassBase<GPUExactMathPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<math::SqrtOp> sqrts;
    getOperation().walk([&](math::SqrtOp op) {
      if (getElementTypeOrSelf(op.getType()).isF32())
        sqrts.push_back(op);
    });
    StringAttr intrinsic = rewriter.getStringAttr("llvm.nvvm.sqrt.rn.f");
    for (math::SqrtOp op : sqrts) {
      if (!op.getType().isF32()) {
        op.emitError("flops-gpu-exact-math: a vector square root in a kernel "
                     "(only scalar ones can be made IEEE here)");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      auto call = LLVM::CallIntrinsicOp::create(
          rewriter, op.getLoc(), op.getType(), intrinsic,
          ValueRange{op.getOperand()});
      rewriter.replaceOp(op, call.getResults());
    }
  }
};

} // namespace
