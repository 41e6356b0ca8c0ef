//===- GPULaunchToLoops.cpp - gpu.launch run as host loops (test mode) -----===//
//
// flops-gpu-launch-to-loops (docs/GPU-CODEGEN.md): the kernels as
// flops-gpu-map-forall and flops-gpu-fuse-launches made them, executed on
// the CPU, so that their guards, barriers, thread-0 writes and merged parts
// are tested without a GPU. Each launch becomes loops over its blocks; in a
// block, the code between two barriers runs for every thread in turn.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPULAUNCHTOLOOPSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// `type` in the default memory space (a workgroup buffer on the host).
MemRefType withoutMemorySpace(MemRefType type) {
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout(), Attribute());
}

struct Serializer {
  OpBuilder &b;
  gpu::LaunchOp launch;
  Value blockSize[3];

  bool hasBarrier(Operation *op) {
    bool found = false;
    op->walk([&](gpu::BarrierOp) { found = true; });
    return found;
  }

  /// Whether `v`, a value of the launch body, depends on no thread id.
  bool uniform(Value v, IRMapping &blockLevel) {
    return blockLevel.contains(v) ||
           !launch.getBody().isAncestor(v.getParentRegion());
  }

  /// Emits the ops of `src` (a block of the launch body) at the current
  /// insertion point, which is at block level: uniform pure ops stay there,
  /// the rest runs in thread loops split at barriers, and a uniform scf.if
  /// containing barriers is emitted at block level with its regions handled
  /// the same way.
  LogicalResult emitBlock(Block &src, IRMapping &blockLevel) {
    SmallVector<Operation *> segment;
    auto flushSegment = [&]() -> LogicalResult {
      if (segment.empty())
        return success();
      LogicalResult r = emitThreads(segment, blockLevel);
      segment.clear();
      return r;
    };
    for (Operation &op : src.without_terminator()) {
      if (isa<gpu::BarrierOp>(op)) {
        if (failed(flushSegment()))
          return failure();
        continue;
      }
      bool operandsUniform = llvm::all_of(op.getOperands(), [&](Value v) {
        return uniform(v, blockLevel);
      });
      if (op.getNumRegions() == 0 && isMemoryEffectFree(&op) &&
          operandsUniform) {
        b.clone(op, blockLevel);
        continue;
      }
      if (!hasBarrier(&op)) {
        segment.push_back(&op);
        continue;
      }
      // A result-free loop with thread-independent bounds (a shared-memory
      // tile's k loop): one host loop at block level, its body split at its
      // barriers in turn.
      if (auto forOp = dyn_cast<scf::ForOp>(op);
          forOp && forOp.getNumResults() == 0 && operandsUniform) {
        if (failed(flushSegment()))
          return failure();
        auto hostFor = scf::ForOp::create(
            b, forOp.getLoc(), blockLevel.lookupOrDefault(forOp.getLowerBound()),
            blockLevel.lookupOrDefault(forOp.getUpperBound()),
            blockLevel.lookupOrDefault(forOp.getStep()));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(hostFor.getBody()->getTerminator());
        IRMapping bodyMap = blockLevel;
        bodyMap.map(forOp.getInductionVar(), hostFor.getInductionVar());
        if (failed(emitBlock(*forOp.getBody(), bodyMap)))
          return failure();
        continue;
      }
      auto ifOp = dyn_cast<scf::IfOp>(op);
      if (!ifOp || ifOp.getNumResults() != 0 || !operandsUniform)
        return op.emitError("flops-gpu-launch-to-loops: a barrier under "
                            "control flow that is not a result-free scf.if "
                            "or scf.for on thread-independent operands");
      if (failed(flushSegment()))
        return failure();
      auto hostIf = scf::IfOp::create(b, ifOp.getLoc(),
                                      blockLevel.lookupOrDefault(
                                          ifOp.getCondition()),
                                      !ifOp.getElseRegion().empty());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(hostIf.thenBlock()->getTerminator());
      IRMapping thenMap = blockLevel;
      if (failed(emitBlock(*ifOp.thenBlock(), thenMap)))
        return failure();
      if (!ifOp.getElseRegion().empty()) {
        b.setInsertionPoint(hostIf.elseBlock()->getTerminator());
        IRMapping elseMap = blockLevel;
        if (failed(emitBlock(*ifOp.elseBlock(), elseMap)))
          return failure();
      }
    }
    return flushSegment();
  }

  /// One loop nest over the block's threads running `ops` (z, y, x; x
  /// innermost), with per-thread allocas scoped to the iteration.
  LogicalResult emitThreads(ArrayRef<Operation *> ops,
                            const IRMapping &blockLevel) {
    Location loc = ops.front()->getLoc();
    OpBuilder::InsertionGuard guard(b);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    IRMapping map = blockLevel;
    gpu::KernelDim3 tids = launch.getThreadIds();
    Value t[3] = {tids.x, tids.y, tids.z};
    for (int d = 2; d >= 0; --d) {
      auto loop = scf::ForOp::create(b, loc, zero, blockSize[d], one);
      map.map(t[d], loop.getInductionVar());
      b.setInsertionPoint(loop.getBody()->getTerminator());
    }
    auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
    Block *body = b.createBlock(&scope.getBodyRegion());
    b.setInsertionPointToEnd(body);
    auto ret = memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
    b.setInsertionPoint(ret);
    for (Operation *op : ops) {
      Operation *copy = b.clone(*op, map);
      WalkResult leak = copy->walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          if (launch.getBody().isAncestor(v.getParentRegion()))
            return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (leak.wasInterrupted())
        return op->emitError("flops-gpu-launch-to-loops: a per-thread value "
                             "is used across a barrier");
    }
    return success();
  }
};

struct GPULaunchToLoopsPass
    : mlir::flops::impl::GPULaunchToLoopsPassBase<GPULaunchToLoopsPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp launch : launches) {
      if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
          launch.hasClusterSize() ||
          launch.getNumPrivateAttributions() != 0 ||
          !launch.getBody().hasOneBlock()) {
        launch.emitError("flops-gpu-launch-to-loops: only synchronous "
                         "single-block launches without clusters or "
                         "private attributions run as host loops");
        return signalPassFailure();
      }
      Location loc = launch.getLoc();
      OpBuilder b(launch);
      Serializer s{b, launch, {}};
      gpu::KernelDim3 gridOps = launch.getGridSizeOperandValues();
      gpu::KernelDim3 blockOps = launch.getBlockSizeOperandValues();
      s.blockSize[0] = blockOps.x;
      s.blockSize[1] = blockOps.y;
      s.blockSize[2] = blockOps.z;
      IRMapping blockLevel;
      gpu::KernelDim3 grid = launch.getGridSize(), bs = launch.getBlockSize();
      blockLevel.map(grid.x, gridOps.x);
      blockLevel.map(grid.y, gridOps.y);
      blockLevel.map(grid.z, gridOps.z);
      blockLevel.map(bs.x, blockOps.x);
      blockLevel.map(bs.y, blockOps.y);
      blockLevel.map(bs.z, blockOps.z);
      // Workgroup buffers: one host buffer each, reused by the blocks in
      // turn (their memory space dropped below), allocated at the start of
      // the enclosing allocation scope (a launch in a host loop must not
      // grow the stack per iteration).
      if (launch.getNumWorkgroupAttributions() != 0) {
        OpBuilder::InsertionGuard guard(b);
        Operation *scope =
            launch->getParentWithTrait<OpTrait::AutomaticAllocationScope>();
        if (scope && scope->getNumRegions() != 0 &&
            !scope->getRegion(0).empty())
          b.setInsertionPointToStart(&scope->getRegion(0).front());
        for (BlockArgument shared : launch.getWorkgroupAttributions()) {
          auto type = cast<MemRefType>(shared.getType());
          auto alloca =
              memref::AllocaOp::create(b, loc, withoutMemorySpace(type));
          blockLevel.map(shared, alloca.getResult());
        }
      }
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      gpu::KernelDim3 bids = launch.getBlockIds();
      Value ids[3] = {bids.x, bids.y, bids.z};
      Value sizes[3] = {gridOps.x, gridOps.y, gridOps.z};
      scf::ForOp outer;
      for (int d = 2; d >= 0; --d) {
        auto loop = scf::ForOp::create(b, loc, zero, sizes[d], one);
        if (!outer)
          outer = loop;
        blockLevel.map(ids[d], loop.getInductionVar());
        b.setInsertionPoint(loop.getBody()->getTerminator());
      }
      if (failed(s.emitBlock(launch.getBody().front(), blockLevel)))
        return signalPassFailure();
      if (launch.getNumWorkgroupAttributions() != 0)
        outer.walk([](Operation *op) {
          auto strip = [](Value v) {
            auto type = dyn_cast<MemRefType>(v.getType());
            if (type && gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(type))
              v.setType(withoutMemorySpace(type));
          };
          llvm::for_each(op->getResults(), strip);
          for (Region &region : op->getRegions())
            for (Block &block : region)
              llvm::for_each(block.getArguments(), strip);
        });
      launch.erase();
    }
  }
};

} // namespace
