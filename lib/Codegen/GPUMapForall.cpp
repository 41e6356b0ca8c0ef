//===- GPUMapForall.cpp - block/thread scf.forall nests to gpu.launch ------===//
//
// flops-gpu-map-forall: after bufferization, each scf.forall mapped to GPU
// blocks becomes a gpu.launch (grid = its trip counts), the thread-mapped
// scf.foralls inside it become thread ids (block = the largest trip counts).
// Written here rather than through the transform dialect's
// map_forall_to_blocks / map_nested_forall_to_threads, whose C++ entry points
// report errors through a transform op.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUMAPFORALLPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

template <typename AttrT> bool hasMapping(scf::ForallOp op) {
  std::optional<ArrayAttr> mapping = op.getMapping();
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, [](Attribute a) { return isa<AttrT>(a); });
}

int64_t dimOf(Attribute a) {
  if (auto b = dyn_cast<gpu::GPUBlockMappingAttr>(a))
    return static_cast<int64_t>(b.getBlock());
  return static_cast<int64_t>(cast<gpu::GPUThreadMappingAttr>(a).getThread());
}

/// Static trip counts of `op`, or failure.
FailureOr<SmallVector<int64_t>> tripCounts(scf::ForallOp op) {
  SmallVector<int64_t> counts;
  for (auto [lb, ub, step] : llvm::zip(op.getMixedLowerBound(),
                                       op.getMixedUpperBound(),
                                       op.getMixedStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    std::optional<int64_t> s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return failure();
    counts.push_back(llvm::divideCeil(*u - *l, *s));
  }
  return counts;
}

/// Replaces the induction variables of `op` by lb + id * step (ids indexed
/// by the mapping's dimension) and moves its body before `op`; erases `op`.
void inlineWithIds(RewriterBase &rewriter, scf::ForallOp op,
                   ArrayRef<Value> ids) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> ivs;
  ArrayAttr mapping = *op.getMapping();
  for (auto [i, lb, step] : llvm::enumerate(op.getMixedLowerBound(),
                                            op.getMixedStep())) {
    Value id = ids[dimOf(mapping[i])];
    Value s = getValueOrCreateConstantIndexOp(rewriter, loc, step);
    Value l = getValueOrCreateConstantIndexOp(rewriter, loc, lb);
    Value iv = arith::AddIOp::create(
        rewriter, loc, l, arith::MulIOp::create(rewriter, loc, id, s));
    ivs.push_back(iv);
  }
  Block *body = op.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, op, ivs);
  rewriter.eraseOp(op);
}

bool writesMemory(Operation *op) {
  if (isa<scf::ForallOp, scf::IfOp, gpu::BarrierOp, gpu::TerminatorOp>(op))
    return false;
  if (isMemoryEffectFree(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true; // unknown: treat as a write
  return effects.hasEffect<MemoryEffects::Write>() ||
         effects.hasEffect<MemoryEffects::Free>();
}

/// Whether `nest` is inside an scf.for (below `top`) whose body holds
/// another thread nest: the next iteration's nests may read what this one
/// wrote (a shared-memory tile's k loop), so a barrier must follow it.
bool inLoopWithNests(scf::ForallOp nest, Operation *top) {
  for (Operation *p = nest->getParentOp(); p && p != top;
       p = p->getParentOp()) {
    if (!isa<scf::ForOp>(p))
      continue;
    int nests = 0;
    p->walk([&](scf::ForallOp) { ++nests; });
    if (nests > 1)
      return true;
  }
  return false;
}

LogicalResult mapBlockForall(RewriterBase &rewriter, scf::ForallOp blockLoop) {
  Location loc = blockLoop.getLoc();
  FailureOr<SmallVector<int64_t>> grid = tripCounts(blockLoop);
  if (failed(grid))
    return blockLoop.emitError("flops-gpu-map-forall: a block forall needs "
                               "static bounds and steps");
  if (blockLoop.getNumResults() != 0)
    return blockLoop.emitError(
        "flops-gpu-map-forall: the forall still has tensor results (run "
        "after bufferization)");
  std::array<int64_t, 3> gridDims = {1, 1, 1}, blockDims = {1, 1, 1};
  ArrayAttr blockMapping = *blockLoop.getMapping();
  for (auto [i, m] : llvm::enumerate(blockMapping))
    gridDims[dimOf(m)] = (*grid)[i];

  SmallVector<scf::ForallOp> threadLoops;
  WalkResult walk = blockLoop.getBody()->walk<WalkOrder::PreOrder>(
      [&](scf::ForallOp inner) {
    if (!hasMapping<gpu::GPUThreadMappingAttr>(inner)) {
      inner.emitError("flops-gpu-map-forall: a forall inside a block forall "
                      "must be mapped to threads");
      return WalkResult::interrupt();
    }
    FailureOr<SmallVector<int64_t>> counts = tripCounts(inner);
    if (failed(counts)) {
      inner.emitError("flops-gpu-map-forall: a thread forall needs static "
                      "bounds and steps");
      return WalkResult::interrupt();
    }
    ArrayAttr innerMapping = *inner.getMapping();
    for (auto [i, m] : llvm::enumerate(innerMapping))
      blockDims[dimOf(m)] = std::max(blockDims[dimOf(m)], (*counts)[i]);
    threadLoops.push_back(inner);
    return WalkResult::skip();
  });
  if (walk.wasInterrupted())
    return failure();
  if (blockDims[0] * blockDims[1] * blockDims[2] > 1024)
    return blockLoop.emitError("flops-gpu-map-forall: more than 1024 threads "
                               "per block");

  SmallVector<bool> barrierAfter = llvm::map_to_vector(
      threadLoops, [&](scf::ForallOp nest) {
        return inLoopWithNests(nest, blockLoop);
      });

  rewriter.setInsertionPoint(blockLoop);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, cst(gridDims[0]), cst(gridDims[1]), cst(gridDims[2]),
      cst(blockDims[0]), cst(blockDims[1]), cst(blockDims[2]));
  Block &launchBody = launch.getBody().front();
  rewriter.setInsertionPointToEnd(&launchBody);
  auto terminator = gpu::TerminatorOp::create(rewriter, loc);
  gpu::KernelDim3 bids = launch.getBlockIds();
  gpu::KernelDim3 tids = launch.getThreadIds();
  SmallVector<Value> blockIds = {bids.x, bids.y, bids.z};
  SmallVector<Value> threadIds = {tids.x, tids.y, tids.z};

  rewriter.moveOpBefore(blockLoop, terminator);
  inlineWithIds(rewriter, blockLoop, blockIds);
  // Writes outside the thread nests; ops holding nests (a shared-memory
  // tile's k loop) run on every thread, their own writes are looked into.
  SmallVector<Operation *> stray;
  std::function<void(Block &)> collectStray = [&](Block &block) {
    for (Operation &op : block) {
      if (isa<scf::ForallOp>(op))
        continue;
      bool holdsNest = false;
      op.walk([&](scf::ForallOp) { holdsNest = true; });
      if (!holdsNest) {
        if (writesMemory(&op))
          stray.push_back(&op);
        continue;
      }
      for (Region &region : op.getRegions())
        for (Block &inner : region)
          collectStray(inner);
    }
  };
  collectStray(launchBody);

  // Thread nests: a guard where the nest is smaller than the block, a
  // barrier between consecutive nests.
  for (auto [n, inner] : llvm::enumerate(threadLoops)) {
    Location iloc = inner.getLoc();
    FailureOr<SmallVector<int64_t>> counts = tripCounts(inner);
    rewriter.setInsertionPoint(inner);
    Value guard;
    ArrayAttr innerMapping = *inner.getMapping();
    for (auto [i, m] : llvm::enumerate(innerMapping)) {
      int64_t d = dimOf(m);
      if ((*counts)[i] >= blockDims[d])
        continue;
      Value lt = arith::CmpIOp::create(
          rewriter, iloc, arith::CmpIPredicate::ult, threadIds[d],
          arith::ConstantIndexOp::create(rewriter, iloc, (*counts)[i]));
      guard = guard ? arith::AndIOp::create(rewriter, iloc, guard, lt) : lt;
    }
    // Dimensions the nest does not use: only their thread 0 runs it.
    SmallVector<bool> used(3, false);
    for (Attribute m : innerMapping)
      used[dimOf(m)] = true;
    for (int64_t d = 0; d < 3; ++d) {
      if (used[d] || blockDims[d] == 1)
        continue;
      Value eq = arith::CmpIOp::create(
          rewriter, iloc, arith::CmpIPredicate::eq, threadIds[d],
          arith::ConstantIndexOp::create(rewriter, iloc, 0));
      guard = guard ? arith::AndIOp::create(rewriter, iloc, guard, eq) : eq;
    }
    if (guard) {
      auto ifOp = scf::IfOp::create(rewriter, iloc, guard,
                                    /*withElseRegion=*/false);
      rewriter.moveOpBefore(inner, ifOp.thenBlock()->getTerminator());
    }
    Operation *after = guard ? inner->getParentOp() : inner.getOperation();
    if (n + 1 < threadLoops.size() || barrierAfter[n]) {
      rewriter.setInsertionPointAfter(after);
      gpu::BarrierOp::create(rewriter, iloc);
    }
    inlineWithIds(rewriter, inner, threadIds);
  }

  // Writes left outside the thread nests (the block level's own copies):
  // thread 0 does them, then everyone waits.
  for (Operation *op : stray) {
    if (isa<memref::AllocOp, memref::DeallocOp, memref::AllocaOp>(op))
      continue;
    Location sloc = op->getLoc();
    rewriter.setInsertionPoint(op);
    Value zero = arith::ConstantIndexOp::create(rewriter, sloc, 0);
    Value first;
    for (Value t : threadIds) {
      Value eq = arith::CmpIOp::create(rewriter, sloc,
                                       arith::CmpIPredicate::eq, t, zero);
      first = first ? arith::AndIOp::create(rewriter, sloc, first, eq) : eq;
    }
    auto ifOp = scf::IfOp::create(rewriter, sloc, first, false);
    rewriter.moveOpBefore(op, ifOp.thenBlock()->getTerminator());
    rewriter.setInsertionPointAfter(ifOp);
    gpu::BarrierOp::create(rewriter, sloc);
  }

  // No device malloc: static per-thread buffers live on the stack, and
  // workgroup buffers (shared-memory tiles) are the launch's workgroup
  // attributions.
  SmallVector<Operation *> allocs;
  launch.getBody().walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::DeallocOp>(op))
      allocs.push_back(op);
  });
  for (Operation *op : allocs) {
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      rewriter.eraseOp(dealloc);
      continue;
    }
    auto alloc = cast<memref::AllocOp>(op);
    if (!alloc.getType().hasStaticShape())
      return alloc.emitError("flops-gpu-map-forall: a dynamically shaped "
                             "allocation inside a kernel");
    if (gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(alloc.getType())) {
      BlockArgument shared =
          launch.addWorkgroupAttribution(alloc.getType(), alloc.getLoc());
      rewriter.replaceOp(alloc, shared);
      continue;
    }
    rewriter.setInsertionPoint(alloc);
    rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                  alloc.getAlignmentAttr());
  }
  return success();
}

struct GPUMapForallPass
    : mlir::flops::impl::GPUMapForallPassBase<GPUMapForallPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> roots;
    getOperation().walk([&](scf::ForallOp op) {
      if (hasMapping<gpu::GPUBlockMappingAttr>(op) &&
          !op->getParentOfType<scf::ForallOp>())
        roots.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp op : roots)
      if (failed(mapBlockForall(rewriter, op)))
        return signalPassFailure();
  }
};

} // namespace
