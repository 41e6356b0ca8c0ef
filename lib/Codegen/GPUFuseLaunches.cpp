//===- GPUFuseLaunches.cpp - independent gpu.launch ops into one ----------===//
//
// flops-gpu-fuse-launches (docs/GPU-CODEGEN.md): horizontal fusion. Runs of
// consecutive gpu.launch ops that touch disjoint buffers become one launch
// over the concatenation of their grids; each part keeps its own block ids
// (recovered from the linear block id) and, where its block is smaller than
// the merged one, a thread guard. The optimizer update of every parameter
// (one elementwise kernel per parameter after flops-gpu-tile-and-distribute)
// becomes one kernel this way: the multi-tensor update.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUFUSELAUNCHESPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// The buffers a memref value may be a view of: through view-like ops to
/// allocations, globals, function arguments or unknown values; through
/// scf.for / scf.if results and loop-carried arguments to every value that
/// can flow into them (the query loop carries its gradient buffers).
SmallVector<Value> rootsOf(Value start) {
  SmallVector<Value> roots, work = {start};
  llvm::SmallPtrSet<Value, 8> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp())) {
        if (arg.getArgNumber() >= loop.getNumInductionVars()) {
          unsigned i = arg.getArgNumber() - loop.getNumInductionVars();
          work.push_back(loop.getInitArgs()[i]);
          work.push_back(loop.getYieldedValues()[i]);
          continue;
        }
      }
      roots.push_back(v);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      if (view.getViewSource() != v) {
        work.push_back(view.getViewSource());
        continue;
      }
    }
    unsigned i = cast<OpResult>(v).getResultNumber();
    if (auto loop = dyn_cast<scf::ForOp>(def)) {
      work.push_back(loop.getInitArgs()[i]);
      work.push_back(loop.getYieldedValues()[i]);
      continue;
    }
    if (auto branch = dyn_cast<scf::IfOp>(def)) {
      work.push_back(branch.thenYield().getOperand(i));
      if (!branch.getElseRegion().empty())
        work.push_back(branch.elseYield().getOperand(i));
      continue;
    }
    roots.push_back(v);
  }
  return roots;
}

/// Roots known to be distinct memory from every other distinct root: fresh
/// allocations, globals, and the function's own arguments (the step ABI:
/// results never alias arguments, distinct results are distinct buffers).
bool isDistinctRoot(Value root) {
  if (auto arg = dyn_cast<BlockArgument>(root))
    return isa<func::FuncOp>(arg.getOwner()->getParentOp());
  Operation *def = root.getDefiningOp();
  return isa<memref::AllocOp, memref::AllocaOp, gpu::AllocOp,
             memref::GetGlobalOp>(def);
}

/// What a region of code (a launch, or a host op) reads and writes, as
/// buffer roots. `unknown`: an effect on no particular value, or an op
/// without the interface.
struct Footprint {
  llvm::SmallPtrSet<Value, 8> reads, writes;
  bool unknown = false;

  bool mayAlias(Value a, Value b) const {
    return a == b || !isDistinctRoot(a) || !isDistinctRoot(b);
  }
  bool touches(const llvm::SmallPtrSet<Value, 8> &set, Value v) const {
    return llvm::any_of(set, [&](Value w) { return mayAlias(v, w); });
  }
  /// Whether running `other` before `this` could change either's result.
  bool conflicts(const Footprint &other) const {
    if (unknown || other.unknown)
      return true;
    for (Value w : writes)
      if (touches(other.reads, w) || touches(other.writes, w))
        return true;
    for (Value w : other.writes)
      if (touches(reads, w))
        return true;
    return false;
  }
  void merge(const Footprint &other) {
    reads.insert(other.reads.begin(), other.reads.end());
    writes.insert(other.writes.begin(), other.writes.end());
    unknown |= other.unknown;
  }
};

/// The footprint of `op` and everything nested in it. Buffers allocated
/// inside `scope` (a kernel's own allocas) are private and left out.
Footprint footprintOf(Operation *op, Operation *scope) {
  Footprint fp;
  op->walk([&](Operation *nested) {
    if (fp.unknown)
      return WalkResult::interrupt();
    // Ops with the interface report their own effects (linalg ops also
    // have recursive effects: their bodies are walked too); ops that only
    // have recursive effects are the sum of their bodies.
    auto iface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!iface) {
      if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
          isa<gpu::TerminatorOp, gpu::BarrierOp>(nested))
        return WalkResult::advance();
      fp.unknown = true;
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (MemoryEffects::EffectInstance &e : effects) {
      if (isa<MemoryEffects::Allocate>(e.getEffect()))
        continue;
      Value v = e.getValue();
      if (!v) {
        // Effects on a resource with no value: the debug/console resources
        // of gpu.printf and friends are harmless; anything else is not.
        fp.unknown = true;
        return WalkResult::interrupt();
      }
      for (Value root : rootsOf(v)) {
        Operation *owner = isa<BlockArgument>(root)
                               ? root.getParentBlock()->getParentOp()
                               : root.getDefiningOp();
        if (scope && owner && scope->isAncestor(owner))
          continue; // private to the kernel (its allocas)
        if (isa<MemoryEffects::Read>(e.getEffect()))
          fp.reads.insert(root);
        else
          fp.writes.insert(root); // Write, Free
      }
    }
    return WalkResult::advance();
  });
  return fp;
}

struct Part {
  gpu::LaunchOp launch;
  std::array<int64_t, 3> grid, block;
  bool barrier;
  Footprint footprint;
  /// Values from above: the outlined kernel's parameters.
  llvm::SetVector<Value> captured;
};

/// Bytes of kernel parameters `values` become once outlined (a memref is
/// its descriptor: two pointers, the offset, sizes and strides), counting
/// constants too (outlining sinks them: an overestimate).
int64_t paramBytes(const llvm::SetVector<Value> &values) {
  int64_t bytes = 0;
  for (Value v : values) {
    Type t = v.getType();
    if (auto m = dyn_cast<MemRefType>(t))
      bytes += 8 * (3 + 2 * m.getRank());
    else if (t.isIntOrFloat() && t.getIntOrFloatBitWidth() <= 32)
      bytes += 4;
    else
      bytes += 8;
  }
  return bytes;
}

/// A launch this pass can merge: static sizes, synchronous, one block, no
/// clusters, attributions or dynamic shared memory.
std::optional<Part> asPart(gpu::LaunchOp launch) {
  if (!launch.getAsyncDependencies().empty() || launch.getAsyncToken() ||
      launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
      launch.getNumWorkgroupAttributions() != 0 ||
      launch.getNumPrivateAttributions() != 0 ||
      !launch.getBody().hasOneBlock() || launch.getFunctionAttr() ||
      launch.getModuleAttr())
    return std::nullopt;
  Part p;
  p.launch = launch;
  Value sizes[6] = {launch.getGridSizeX(),  launch.getGridSizeY(),
                    launch.getGridSizeZ(),  launch.getBlockSizeX(),
                    launch.getBlockSizeY(), launch.getBlockSizeZ()};
  for (int i = 0; i < 6; ++i) {
    APInt v;
    if (!matchPattern(sizes[i], m_ConstantInt(&v)) || v.getSExtValue() < 1)
      return std::nullopt;
    (i < 3 ? p.grid[i] : p.block[i - 3]) = v.getSExtValue();
  }
  p.barrier = false;
  launch.getBody().walk([&](gpu::BarrierOp) { p.barrier = true; });
  p.footprint = footprintOf(launch, launch);
  getUsedValuesDefinedAbove(launch.getBody(), p.captured);
  if (p.footprint.unknown)
    return std::nullopt;
  return p;
}

int64_t blocks(const Part &p) { return p.grid[0] * p.grid[1] * p.grid[2]; }

/// Whether `p` fits a group whose merged block size is `block` and whose
/// parts have barriers `barrier` (a barrier part needs the exact block).
bool fits(const Part &p, const std::array<int64_t, 3> &block, bool barrier,
          bool allSameBlock) {
  std::array<int64_t, 3> merged;
  for (int d = 0; d < 3; ++d)
    merged[d] = std::max(block[d], p.block[d]);
  if (merged[0] * merged[1] * merged[2] > 1024)
    return false;
  return !((p.barrier || barrier) && !(allSameBlock && p.block == block));
}

/// Replaces the parts by one launch at the position of the last.
void mergeParts(RewriterBase &rewriter, ArrayRef<Part> parts) {
  gpu::LaunchOp last = parts.back().launch;
  Location loc = rewriter.getFusedLoc(llvm::map_to_vector(
      parts, [](const Part &p) {
        gpu::LaunchOp l = p.launch;
        return l.getLoc();
      }));
  std::array<int64_t, 3> block = {1, 1, 1};
  int64_t total = 0;
  for (const Part &p : parts) {
    for (int d = 0; d < 3; ++d)
      block[d] = std::max(block[d], p.block[d]);
    total += blocks(p);
  }
  rewriter.setInsertionPoint(last);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  Value one = cst(1);
  auto merged = gpu::LaunchOp::create(rewriter, loc, cst(total), one, one,
                                      cst(block[0]), cst(block[1]),
                                      cst(block[2]));
  Block &body = merged.getBody().front();
  rewriter.setInsertionPointToEnd(&body);
  auto terminator = gpu::TerminatorOp::create(rewriter, loc);
  gpu::KernelDim3 tids = merged.getThreadIds();
  Value linear = merged.getBlockIds().x;

  int64_t offset = 0;
  for (const Part &p : parts) {
    gpu::LaunchOp launch = p.launch;
    Location ploc = launch.getLoc();
    rewriter.setInsertionPoint(terminator);
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, ploc, v);
    };
    Value lo = c(offset), hi = c(offset + blocks(p));
    Value inRange = arith::AndIOp::create(
        rewriter, ploc,
        arith::CmpIOp::create(rewriter, ploc, arith::CmpIPredicate::uge,
                              linear, lo),
        arith::CmpIOp::create(rewriter, ploc, arith::CmpIPredicate::ult,
                              linear, hi));
    auto inPart = scf::IfOp::create(rewriter, ploc, inRange, false);
    rewriter.setInsertionPoint(inPart.thenBlock()->getTerminator());
    // The part's own block ids: x fastest, as the hardware numbers them.
    Value local = arith::SubIOp::create(rewriter, ploc, linear, lo);
    Value bx = arith::RemUIOp::create(rewriter, ploc, local, c(p.grid[0]));
    Value rest = arith::DivUIOp::create(rewriter, ploc, local, c(p.grid[0]));
    Value by = arith::RemUIOp::create(rewriter, ploc, rest, c(p.grid[1]));
    Value bz = arith::DivUIOp::create(rewriter, ploc, rest, c(p.grid[1]));
    // Threads beyond the part's block sit it out (no barrier in such a
    // part: fits() keeps those to groups of their own block size).
    Value guard;
    Value t[3] = {tids.x, tids.y, tids.z};
    for (int d = 0; d < 3; ++d) {
      if (p.block[d] >= block[d])
        continue;
      Value lt = arith::CmpIOp::create(rewriter, ploc,
                                       arith::CmpIPredicate::ult, t[d],
                                       c(p.block[d]));
      guard = guard ? arith::AndIOp::create(rewriter, ploc, guard, lt) : lt;
    }
    Operation *anchor = inPart.thenBlock()->getTerminator();
    if (guard) {
      auto threads = scf::IfOp::create(rewriter, ploc, guard, false);
      anchor = threads.thenBlock()->getTerminator();
    }
    DenseMap<Value, Value> map;
    gpu::KernelDim3 pb = launch.getBlockIds(), pt = launch.getThreadIds(),
                    pg = launch.getGridSize(), pbs = launch.getBlockSize();
    map[pb.x] = bx;
    map[pb.y] = by;
    map[pb.z] = bz;
    map[pt.x] = tids.x;
    map[pt.y] = tids.y;
    map[pt.z] = tids.z;
    map[pg.x] = c(p.grid[0]);
    map[pg.y] = c(p.grid[1]);
    map[pg.z] = c(p.grid[2]);
    map[pbs.x] = c(p.block[0]);
    map[pbs.y] = c(p.block[1]);
    map[pbs.z] = c(p.block[2]);
    Block &partBody = launch.getBody().front();
    SmallVector<Value> args;
    for (BlockArgument a : partBody.getArguments())
      args.push_back(map.lookup(a));
    rewriter.eraseOp(partBody.getTerminator());
    rewriter.inlineBlockBefore(&partBody, anchor, args);
    offset += blocks(p);
  }
  for (const Part &p : parts) {
    gpu::LaunchOp l = p.launch;
    rewriter.eraseOp(l);
  }
}

struct GPUFuseLaunchesPass
    : mlir::flops::impl::GPUFuseLaunchesPassBase<GPUFuseLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxParts < 1) {
      getOperation().emitError(
          "flops-gpu-fuse-launches: max-parts must be at least 1");
      return signalPassFailure();
    }
    SmallVector<Block *> blocksWithLaunches;
    getOperation().walk([&](gpu::LaunchOp launch) {
      Block *b = launch->getBlock();
      if (!llvm::is_contained(blocksWithLaunches, b))
        blocksWithLaunches.push_back(b);
    });
    IRRewriter rewriter(&getContext());
    for (Block *b : blocksWithLaunches)
      fuseIn(rewriter, b);
  }

  void fuseIn(RewriterBase &rewriter, Block *block) {
    std::vector<std::vector<Part>> groups;
    std::vector<Part> group;
    llvm::SetVector<Value> groupParams;
    Footprint groupFp; // of the parts so far (host ops between are checked)
    std::array<int64_t, 3> groupBlock = {1, 1, 1};
    bool groupBarrier = false, sameBlock = true;
    auto flush = [&]() {
      if (group.size() > 1)
        groups.push_back(group);
      group.clear();
      groupParams.clear();
      groupFp = Footprint();
      groupBlock = {1, 1, 1};
      groupBarrier = false;
      sameBlock = true;
    };
    auto start = [&](const Part &p) {
      group.push_back(p);
      groupParams = p.captured;
      groupFp = p.footprint;
      groupBlock = p.block;
      groupBarrier = p.barrier;
      sameBlock = true;
    };
    for (Operation &op : *block) {
      if (auto launch = dyn_cast<gpu::LaunchOp>(&op)) {
        std::optional<Part> p = asPart(launch);
        if (!p) {
          flush();
          continue;
        }
        llvm::SetVector<Value> params = groupParams;
        params.insert(p->captured.begin(), p->captured.end());
        if (!group.empty() && int64_t(group.size()) < maxParts &&
            paramBytes(params) <= maxParamBytes &&
            !groupFp.conflicts(p->footprint) &&
            fits(*p, groupBlock, groupBarrier, sameBlock)) {
          sameBlock &= p->block == groupBlock;
          for (int d = 0; d < 3; ++d)
            groupBlock[d] = std::max(groupBlock[d], p->block[d]);
          groupBarrier |= p->barrier;
          groupFp.merge(p->footprint);
          groupParams = std::move(params);
          group.push_back(*p);
          continue;
        }
        flush();
        start(*p);
        continue;
      }
      if (group.empty() || isMemoryEffectFree(&op))
        continue;
      // A host op between parts runs before the merged launch: it must
      // commute with the parts so far.
      if (op.hasTrait<OpTrait::IsTerminator>() ||
          footprintOf(&op, nullptr).conflicts(groupFp))
        flush();
    }
    flush();
    for (const std::vector<Part> &g : groups)
      mergeParts(rewriter, g);
  }
};

} // namespace
