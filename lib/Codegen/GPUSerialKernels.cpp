//===- GPUSerialKernels.cpp - host code between kernels as kernels ---------===//
//
// flops-gpu-serial-kernels (docs/GPU-CODEGEN.md, "Host code in kernels"):
// after flops-gpu-map-forall, each maximal run of host ops that a kernel can
// execute becomes a gpu.launch of one block of one thread, so that the
// step's kernels are no longer separated by host code that must wait for
// them. Scalars that cross from such a kernel to later code go through
// 8-byte slots of one buffer per function; later kernels load them at their
// start, and only uses that stay on the host load them there.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUSERIALKERNELSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

namespace {

/// The most loop iterations (or copied elements) of one linalg op or copy
/// that a single-thread kernel takes over from the host.
constexpr int64_t kMaxSerialWork = 1 << 16;

bool isScalar(Type t) { return t.isIntOrIndexOrFloat(); }

/// Whether `v` is (a view of) a memref.get_global: host memory that a
/// kernel cannot read.
bool isHostGlobal(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::GetGlobalOp>(def))
      return true;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      v = view.getViewSource();
      continue;
    }
    if (auto cast = dyn_cast<memref::CastOp>(def)) {
      v = cast.getSource();
      continue;
    }
    return false;
  }
  return false;
}

/// Whether one thread of a kernel can execute `op` (and everything nested
/// in it) as the host would.
bool runsInKernel(Operation *op) {
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
          memref::GetGlobalOp, memref::ReallocOp,
          memref::ExtractAlignedPointerAsIndexOp, memref::AllocaScopeOp,
          memref::DmaStartOp, memref::DmaWaitOp, memref::AssumeAlignmentOp,
          scf::ForallOp, scf::ParallelOp>(op))
    return false;
  Dialect *dialect = op->getDialect();
  StringRef ns = dialect ? dialect->getNamespace() : StringRef();
  bool known = ns == "arith" || ns == "math" || ns == "index" ||
               ns == "memref" || ns == "scf" || ns == "linalg" ||
               ns == "affine" || ns == "ub" ||
               op->getName().getStringRef() == "flops.counter_normal";
  if (!known)
    return false;
  for (Value v : op->getOperands())
    if (isa<BaseMemRefType>(v.getType()) && isHostGlobal(v))
      return false;
  // Bulk work stays where it was: one thread would run it far slower than
  // the host (the dynamically shaped ops of @forward, big copies).
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (linalgOp.hasDynamicShape())
      return false;
    int64_t work = 1;
    for (int64_t r : linalgOp.getStaticLoopRanges())
      work *= r;
    if (work > kMaxSerialWork)
      return false;
  }
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!type.hasStaticShape() || type.getNumElements() > kMaxSerialWork)
      return false;
  }
  for (Region &r : op->getRegions())
    for (Operation &inner : r.getOps())
      if (!runsInKernel(&inner))
        return false;
  return true;
}

/// A scalar defined by moved code and used after it: stored in `slot` by
/// the kernel that defines it.
struct Escape {
  Value value;
  gpu::LaunchOp launch;
};

class SerialKernels {
public:
  explicit SerialKernels(func::FuncOp func)
      : func(func), rewriter(func.getContext()) {}

  void run() {
    sinkIntoLaunches();
    processBlock(func.getBody().front());
    if (escapes.empty())
      return;
    createSlots();
  }

  unsigned numKernels = 0;

private:
  /// Host ops whose results only a kernel uses move into it: pure ops
  /// (views, index arithmetic) and loads with no memory write between
  /// them and the launch (a row index read from a buffer, the subview it
  /// selects), so that the host does not wait for the kernels before.
  void sinkIntoLaunches() {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<gpu::LaunchOp> launches;
      func.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
      for (gpu::LaunchOp launch : launches) {
        SetVector<Value> captured;
        getUsedValuesDefinedAbove(launch.getBody(), launch.getBody(), captured);
        for (Value v : captured) {
          Operation *def = v.getDefiningOp();
          if (!def || def->getBlock() != launch->getBlock() ||
              def->getNumRegions() != 0 || !runsInKernel(def))
            continue;
          if (!llvm::all_of(def->getUsers(), [&](Operation *u) {
                return launch->isProperAncestor(u);
              }))
            continue;
          bool pure = isMemoryEffectFree(def);
          if (!pure) {
            if (!isa<memref::LoadOp>(def))
              continue;
            bool written = false;
            for (Operation *op = def->getNextNode(); op != launch;
                 op = op->getNextNode())
              written |= !isMemoryEffectFree(op);
            if (written)
              continue;
          }
          rewriter.moveOpBefore(def, &launch.getBody().front().front());
          changed = true;
        }
      }
    }
  }

  void processBlock(Block &block) {
    SmallVector<Operation *> ops =
        llvm::map_to_vector(block, [](Operation &op) { return &op; });
    SmallVector<Operation *> run;
    for (Operation *op : ops) {
      if (!op->hasTrait<OpTrait::IsTerminator>() && runsInKernel(op)) {
        run.push_back(op);
        continue;
      }
      flush(run);
      if (isa<gpu::LaunchOp>(op))
        continue;
      for (Region &r : op->getRegions())
        for (Block &b : r)
          processBlock(b);
    }
    flush(run);
  }

  /// Moves the ops of `run` that need to run in a kernel into one launch;
  /// clears `run`.
  void flush(SmallVectorImpl<Operation *> &run) {
    SmallVector<Operation *> moved;
    llvm::SmallPtrSet<Operation *, 16> movedSet;
    for (Operation *op : run) {
      bool dependsOnMoved = llvm::any_of(op->getOperands(), [&](Value v) {
        Operation *def = v.getDefiningOp();
        return def && movedSet.contains(def);
      });
      // Pure ops on host values stay on the host (the kernel captures
      // them; later host code keeps using them without a load).
      if (!dependsOnMoved && op->getNumRegions() == 0 &&
          isMemoryEffectFree(op))
        continue;
      // A buffer (a view computed from moved values, or a non-pure op
      // producing one) cannot leave a kernel: the run ends before it, and
      // it and the rest of the run stay on the host.
      if (!llvm::all_of(op->getResultTypes(), isScalar))
        break;
      moved.push_back(op);
      movedSet.insert(op);
    }
    run.clear();
    if (moved.empty())
      return;

    Location loc = moved.back()->getLoc();
    rewriter.setInsertionPointAfter(moved.back());
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto launch =
        gpu::LaunchOp::create(rewriter, loc, one, one, one, one, one, one);
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(rewriter, loc);
    for (Operation *op : moved)
      rewriter.moveOpBefore(op, terminator);
    ++numKernels;

    // Host copies become loops in the kernel (no memcpy call on the
    // device).
    SmallVector<memref::CopyOp> copies;
    launch.getBody().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      rewriter.setInsertionPoint(c);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(c, c.getSource(),
                                                  c.getTarget());
    }

    for (Operation *op : moved)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *u) {
              return !launch->isProperAncestor(u);
            }))
          escapes.push_back({r, launch});
  }

  /// One buffer of 8-byte slots at the function's entry, a view per
  /// escaping scalar: stored by its kernel, loaded by the later kernels
  /// that use it, and on the host only for host uses.
  void createSlots() {
    Block &entry = func.getBody().front();
    Location loc = func.getLoc();
    rewriter.setInsertionPointToStart(&entry);
    auto bufferType = MemRefType::get(
        {static_cast<int64_t>(8 * escapes.size())}, rewriter.getI8Type());
    Value buffer = memref::AllocOp::create(rewriter, loc, bufferType);
    func.walk([&](func::ReturnOp ret) {
      rewriter.setInsertionPoint(ret);
      memref::DeallocOp::create(rewriter, loc, buffer);
    });
    rewriter.setInsertionPointAfter(buffer.getDefiningOp());
    for (auto [i, e] : llvm::enumerate(escapes)) {
      Value offset = arith::ConstantIndexOp::create(rewriter, loc, 8 * i);
      auto slotType = MemRefType::get({}, e.value.getType());
      Value slot = memref::ViewOp::create(rewriter, loc, slotType, buffer,
                                          offset, ValueRange());
      slots.push_back(slot);
    }
    for (auto [e, slot] : llvm::zip(escapes, slots)) {
      OpBuilder::InsertionGuard guard(rewriter);
      Location vloc = e.value.getLoc();
      rewriter.setInsertionPoint(
          e.launch.getBody().front().getTerminator());
      memref::StoreOp::create(rewriter, vloc, e.value, slot);
      // Uses in later kernels: a load at the kernel's start.
      DenseMap<Operation *, Value> loaded;
      for (OpOperand &use : llvm::make_early_inc_range(e.value.getUses())) {
        Operation *user = use.getOwner();
        if (e.launch->isProperAncestor(user))
          continue;
        auto consumer = user->getParentOfType<gpu::LaunchOp>();
        if (!consumer)
          continue;
        Value &v = loaded[consumer];
        if (!v) {
          rewriter.setInsertionPointToStart(&consumer.getBody().front());
          v = memref::LoadOp::create(rewriter, vloc, slot);
        }
        rewriter.modifyOpInPlace(user, [&] { use.set(v); });
      }
      // Host uses: one load after the kernel.
      rewriter.setInsertionPointAfter(e.launch);
      Value host;
      for (OpOperand &use : llvm::make_early_inc_range(e.value.getUses())) {
        if (e.launch->isProperAncestor(use.getOwner()))
          continue;
        if (!host)
          host = memref::LoadOp::create(rewriter, vloc, slot);
        rewriter.modifyOpInPlace(use.getOwner(), [&] { use.set(host); });
      }
    }
  }

  func::FuncOp func;
  IRRewriter rewriter;
  SmallVector<Escape> escapes;
  SmallVector<Value> slots;
};

struct GPUSerialKernelsPass
    : mlir::flops::impl::GPUSerialKernelsPassBase<GPUSerialKernelsPass> {
  void runOnOperation() override {
    if (getOperation().isExternal())
      return;
    SerialKernels(getOperation()).run();
  }
};

} // namespace
