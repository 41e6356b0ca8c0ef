//===- OutlineLoopNests.cpp - the flops-cpu-outline-loop-nests pass -------===//
//
// Splits a big function into one function per loop nest, so that LLVM
// optimises and compiles many small functions instead of one huge one (its
// register allocation and scheduling are superlinear in a function's size).
// See docs/CODEGEN.md, "Compile time".
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::flops {
#define GEN_PASS_DEF_OUTLINELOOPNESTSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {

/// Ops nested in `op`'s regions (not `op` itself).
int64_t nestedOps(Operation *op) {
  int64_t n = 0;
  op->walk([&](Operation *) { ++n; });
  return n - 1;
}

/// An OpenMP op other than `omp.parallel` must stay where it is (a worksharing
/// loop inside its parallel region, a loop nest inside its wsloop); the
/// parallel region itself is self-contained.
bool canOutline(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>() ||
      op->hasTrait<OpTrait::SymbolTable>() || isa<SymbolOpInterface>(op))
    return false;
  if (isa<omp::OpenMPDialect>(op->getDialect()))
    return isa<omp::ParallelOp>(op);
  return true;
}

struct OutlineLoopNestsPass
    : mlir::flops::impl::OutlineLoopNestsPassBase<OutlineLoopNestsPass> {
  using Base::Base;
  Operation *insertAfter = nullptr;

  void runOnOperation() override {
    if (minOps < 1 || maxOps < minOps) {
      getOperation().emitError()
          << "flops-cpu-outline-loop-nests needs 1 <= min-ops <= max-ops, got "
          << int64_t(minOps) << " and " << int64_t(maxOps);
      return signalPassFailure();
    }
    if (minLoopOps < 1) {
      getOperation().emitError()
          << "flops-cpu-outline-loop-nests needs min-loop-ops >= 1, got "
          << int64_t(minLoopOps);
      return signalPassFailure();
    }
    SymbolTable symbols(getOperation());
    SmallVector<func::FuncOp> funcs;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isExternal() && nestedOps(f) >= minFunctionOps)
        funcs.push_back(f);
    for (func::FuncOp f : funcs) {
      unsigned counter = 0;
      // The new functions follow their parent, in program order.
      insertAfter = f;
      for (Block &b : f.getBody())
        visit(b, f, symbols, counter);
    }
  }

  void visit(Block &block, func::FuncOp parent, SymbolTable &symbols,
             unsigned &counter) {
    SmallVector<Operation *> candidates;
    for (Operation &op : block)
      if (op.getNumRegions() > 0)
        candidates.push_back(&op);
    for (Operation *op : candidates) {
      int64_t n = nestedOps(op);
      // A loop (not an OpenMP one: those stay) runs its body many times:
      // smaller ones move out too, so that what stays is sequencing code.
      // So does every parallel region, however small: the translation to
      // LLVM IR outlines each one with a CodeExtractor that scans the whole
      // function containing it (OpenMPIRBuilder::finalize), quadratic when
      // hundreds of them share one big function.
      bool loop = (isa<LoopLikeOpInterface>(op) &&
                   !isa<omp::OpenMPDialect>(op->getDialect())) ||
                  isa<omp::ParallelOp>(op);
      if (n < (loop ? std::min<int64_t>(minLoopOps, minOps) : minOps))
        continue;
      if (n <= maxOps && canOutline(op)) {
        outline(op, parent, symbols, counter);
        continue;
      }
      for (Region &r : op->getRegions())
        for (Block &b : r)
          visit(b, parent, symbols, counter);
    }
    outlineStraightLineRuns(block, parent, symbols, counter);
  }

  /// Straight-line code between the nests (small ops whose loops were
  /// folded away, unrolled vector code, descriptor arithmetic) can be most of
  /// a big function too: runs of at least min-ops consecutive ops without
  /// regions move out in pieces of at most max-ops. Constants stay (and are
  /// re-created inside); stack allocations, terminators and OpenMP ops end a
  /// run.
  void outlineStraightLineRuns(Block &block, func::FuncOp parent,
                               SymbolTable &symbols, unsigned &counter) {
    SmallVector<Operation *> run;
    auto flush = [&]() {
      if (int64_t(run.size()) >= minOps)
        outlineRun(run, parent, symbols, counter);
      run.clear();
    };
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (isConstant(&op))
        continue;
      if (op.getNumRegions() > 0 || op.hasTrait<OpTrait::IsTerminator>() ||
          isa<memref::AllocaOp>(op) ||
          isa<omp::OpenMPDialect>(op.getDialect())) {
        flush();
        continue;
      }
      run.push_back(&op);
      if (int64_t(run.size()) >= maxOps)
        flush();
    }
    flush();
  }

  static bool isConstant(Operation *op) {
    return op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
           op->hasTrait<OpTrait::ConstantLike>();
  }

  /// Creates `@<parent>_nest<k>` after the previous one, with `args` as
  /// arguments and `results` as results; returns it with its entry block.
  func::FuncOp createFunction(Location loc, func::FuncOp parent,
                              TypeRange args, TypeRange results,
                              SymbolTable &symbols, unsigned &counter) {
    OpBuilder b(parent.getContext());
    b.setInsertionPointAfter(insertAfter);
    auto type = FunctionType::get(parent.getContext(), args, results);
    auto fn = func::FuncOp::create(
        b, loc, (parent.getName() + "_nest" + llvm::Twine(counter++)).str(),
        type);
    symbols.insert(fn, b.getInsertionPoint());
    insertAfter = fn;
    fn.setPrivate();
    fn.setNoInline(true);
    fn.addEntryBlock();
    return fn;
  }

  void outlineRun(ArrayRef<Operation *> ops, func::FuncOp parent,
                  SymbolTable &symbols, unsigned &counter) {
    llvm::SmallPtrSet<Operation *, 32> inRun(ops.begin(), ops.end());
    llvm::SetVector<Value> args, constants;
    SmallVector<Value> results;
    for (Operation *op : ops) {
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (def && inRun.contains(def))
          continue;
        if (def && isConstant(def))
          constants.insert(v);
        else
          args.insert(v);
      }
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *u) {
              return !inRun.contains(u);
            }))
          results.push_back(r);
    }
    Location loc = ops.front()->getLoc();
    func::FuncOp fn =
        createFunction(loc, parent, ValueRange(args.getArrayRef()).getTypes(),
                       ValueRange(results).getTypes(), symbols, counter);
    Block *entry = &fn.getBody().front();
    IRMapping map;
    for (auto [v, a] : llvm::zip(args, entry->getArguments()))
      map.map(v, a);
    OpBuilder ib = OpBuilder::atBlockEnd(entry);
    for (Value c : constants)
      if (!map.contains(c))
        ib.clone(*c.getDefiningOp(), map);
    for (Operation *op : ops)
      ib.clone(*op, map);
    SmallVector<Value> returned;
    for (Value r : results)
      returned.push_back(map.lookup(r));
    func::ReturnOp::create(ib, loc, returned);

    // Uses of the results come after the run: the call takes its place.
    OpBuilder cb(ops.back()->getContext());
    cb.setInsertionPointAfter(ops.back());
    auto call = func::CallOp::create(cb, loc, fn, args.getArrayRef());
    call.setNoInline(true);
    for (auto [r, c] : llvm::zip(results, call.getResults()))
      r.replaceUsesWithIf(c, [&](OpOperand &use) {
        return !inRun.contains(use.getOwner());
      });
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }

  void outline(Operation *op, func::FuncOp parent, SymbolTable &symbols,
               unsigned &counter) {
    MLIRContext *ctx = op->getContext();
    Location loc = op->getLoc();
    // What the nest reads from above: its operands and the values its
    // regions use. Constants are re-created inside (LLVM folds them there).
    llvm::SetVector<Value> used;
    for (Value v : op->getOperands())
      used.insert(v);
    getUsedValuesDefinedAbove(op->getRegions(), used);
    SmallVector<Value> args, constants;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
          def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(v);
      else
        args.push_back(v);
    }

    OpBuilder b(ctx);
    b.setInsertionPointAfter(insertAfter);
    auto type = FunctionType::get(ctx, ValueRange(args).getTypes(),
                                  op->getResultTypes());
    auto fn = func::FuncOp::create(
        b, loc, (parent.getName() + "_nest" + llvm::Twine(counter++)).str(),
        type);
    symbols.insert(fn, b.getInsertionPoint());
    insertAfter = fn;
    fn.setPrivate();
    fn.setNoInline(true);
    Block *entry = fn.addEntryBlock();
    IRMapping map;
    for (auto [v, a] : llvm::zip(args, entry->getArguments()))
      map.map(v, a);
    OpBuilder ib = OpBuilder::atBlockEnd(entry);
    for (Value c : constants)
      if (!map.contains(c))
        ib.clone(*c.getDefiningOp(), map);
    Operation *clone = ib.clone(*op, map);
    func::ReturnOp::create(ib, loc, clone->getResults());

    OpBuilder cb(op);
    auto call = func::CallOp::create(cb, loc, fn, args);
    call.setNoInline(true);
    op->replaceAllUsesWith(call.getResults());
    op->erase();
  }
};

} // namespace
