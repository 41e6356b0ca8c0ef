//===- GPUStageArguments.cpp - managed shadows of host-touched arguments ---===//
//
// flops-gpu-stage-arguments: the step's buffer arguments may be plain
// device memory; those that host code touches are replaced by managed
// shadows, filled at entry and copied back before each return with
// explicit gpu.memcpy (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUSTAGEARGUMENTSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

struct ArgumentUse {
  bool host = false;    // some op outside the launches may access it
  bool written = false; // some op (host or kernel) may write it
};

/// Whether `user` may write the buffer `v` (unknown effects: yes).
bool mayWrite(Operation *user, Value v) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(user);
  if (!effects)
    return !isMemoryEffectFree(user) || user->getNumRegions() > 0 ||
           isa<memref::ExtractAlignedPointerAsIndexOp>(user);
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffectsOnValue(v, list);
  for (auto &e : list)
    if (isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
      return true;
  // An op with effects it does not attribute to a value.
  SmallVector<MemoryEffects::EffectInstance> all;
  effects.getEffects(all);
  for (auto &e : all)
    if (!e.getValue() && isa<MemoryEffects::Write>(e.getEffect()))
      return true;
  return false;
}

/// Every use of the argument, through view-like ops.
ArgumentUse analyse(BlockArgument arg) {
  ArgumentUse result;
  SmallVector<Value> worklist{arg};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      bool inKernel = user->getParentOfType<gpu::LaunchOp>() != nullptr;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == v) {
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            worklist.push_back(r);
        continue;
      }
      if (isa<memref::DimOp>(user))
        continue;
      if (isa<gpu::MemcpyOp, gpu::MemsetOp>(user)) {
        if (auto copy = dyn_cast<gpu::MemcpyOp>(user))
          result.written |= copy.getDst() == v;
        else
          result.written = true;
        continue;
      }
      result.written |= mayWrite(user, v);
      if (!inKernel)
        result.host = true;
    }
  }
  return result;
}

struct GPUStageArgumentsPass
    : mlir::flops::impl::GPUStageArgumentsPassBase<GPUStageArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || func->hasAttr("flops.gpu.device_memory"))
      return;
    Block &entry = func.getBody().front();
    IRRewriter rewriter(&getContext());
    Location loc = func.getLoc();
    Type token = gpu::AsyncTokenType::get(&getContext());

    // Whole-buffer host copies from or to an argument (a frozen log-σ
    // passed through, for instance) become device copies: no shadow needed.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) {
      if (copy->getParentOfType<gpu::LaunchOp>())
        return;
      auto src = dyn_cast<MemRefType>(copy.getSource().getType());
      auto dst = dyn_cast<MemRefType>(copy.getTarget().getType());
      auto isArg = [&](Value v) {
        auto arg = dyn_cast<BlockArgument>(v);
        return arg && arg.getOwner() == &entry;
      };
      if (src && dst && src.getLayout().isIdentity() &&
          dst.getLayout().isIdentity() && src.hasStaticShape() &&
          src.getShape() == dst.getShape() &&
          (isArg(copy.getSource()) || isArg(copy.getTarget())))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      Value start = gpu::WaitOp::create(rewriter, copy.getLoc(), token,
                                        ValueRange())
                        .getAsyncToken();
      Value done = gpu::MemcpyOp::create(rewriter, copy.getLoc(), token,
                                         ValueRange{start}, copy.getTarget(),
                                         copy.getSource())
                       .getAsyncToken();
      gpu::WaitOp::create(rewriter, copy.getLoc(), Type(), ValueRange{done});
      rewriter.eraseOp(copy);
    }

    struct Shadow {
      BlockArgument arg;
      Value shadow;
      bool written;
    };
    SmallVector<Shadow> shadows;
    rewriter.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      ArgumentUse use = analyse(arg);
      if (!use.host)
        continue;
      if (!type.getLayout().isIdentity()) {
        func.emitError("flops-gpu-stage-arguments: argument #")
            << arg.getArgNumber()
            << " is touched by host code but has a non-identity layout "
               "(no managed shadow can stand in for it)";
        return signalPassFailure();
      }
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          sizes.push_back(memref::DimOp::create(rewriter, loc, arg, d));
      Value shadow = gpu::AllocOp::create(rewriter, loc, type, Type(),
                                          ValueRange(), sizes, ValueRange(),
                                          /*hostShared=*/true)
                         .getMemref();
      shadows.push_back({arg, shadow, use.written});
    }
    if (shadows.empty())
      return;

    // Copies in, on one stream, then every use moves to the shadow.
    Value stream =
        gpu::WaitOp::create(rewriter, loc, token, ValueRange()).getAsyncToken();
    SmallVector<Operation *> copiesIn;
    for (Shadow &s : shadows) {
      auto copy = gpu::MemcpyOp::create(rewriter, loc, token,
                                        ValueRange{stream}, s.shadow, s.arg);
      stream = copy.getAsyncToken();
      copiesIn.push_back(copy);
    }
    gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{stream});
    for (Shadow &s : shadows) {
      SmallPtrSet<Operation *, 4> except(copiesIn.begin(), copiesIn.end());
      for (Value sz : s.shadow.getDefiningOp()->getOperands())
        except.insert(sz.getDefiningOp());
      rewriter.replaceAllUsesExcept(s.arg, s.shadow, except);
    }

    // Copies out and frees before each return.
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp r) { returns.push_back(r); });
    for (func::ReturnOp ret : returns) {
      rewriter.setInsertionPoint(ret);
      Value out;
      for (Shadow &s : shadows) {
        if (!s.written)
          continue;
        if (!out)
          out = gpu::WaitOp::create(rewriter, loc, token, ValueRange())
                    .getAsyncToken();
        out = gpu::MemcpyOp::create(rewriter, loc, token, ValueRange{out},
                                    s.arg, s.shadow)
                  .getAsyncToken();
      }
      Value freed = out ? out
                        : gpu::WaitOp::create(rewriter, loc, token,
                                              ValueRange())
                              .getAsyncToken();
      for (Shadow &s : shadows)
        freed = gpu::DeallocOp::create(rewriter, loc, token, ValueRange{freed},
                                       s.shadow)
                    .getAsyncToken();
      gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{freed});
    }
  }
};

} // namespace
