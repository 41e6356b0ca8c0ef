//===- MergeIdenticalFunctions.cpp - flops-merge-identical-functions ------===//
//
// Keeps one function of each set of private functions with equal bodies, so
// that LLVM optimises and compiles each distinct loop nest once. See
// docs/CODEGEN.md, "Compile time".
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"

namespace mlir::flops {
#define GEN_PASS_DEF_MERGEIDENTICALFUNCTIONSPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {

/// A hash of `f`'s body that equal bodies share: each op's name, attributes,
/// properties, result and block argument types and shape (operands are left
/// to the comparison). Locations are not hashed.
llvm::hash_code bodyHash(func::FuncOp f) {
  llvm::hash_code h = llvm::hash_value(f.getFunctionType().getAsOpaquePointer());
  f.getBody().walk([&](Operation *op) {
    h = llvm::hash_combine(h, op->getName(), op->getRawDictionaryAttrs(),
                           op->hashProperties(), op->getNumOperands(),
                           op->getNumRegions(), op->getNumSuccessors());
    for (Type t : op->getResultTypes())
      h = llvm::hash_combine(h, t.getAsOpaquePointer());
    for (Region &r : op->getRegions())
      for (Block &b : r) {
        h = llvm::hash_combine(h, b.getNumArguments());
        for (Type t : b.getArgumentTypes())
          h = llvm::hash_combine(h, t.getAsOpaquePointer());
      }
  });
  return h;
}

/// Whether calling `a` and calling `b` do the same: same type, argument and
/// result attributes, no_inline, discardable attributes, and bodies equal op
/// by op (operands mapped through the corresponding block arguments and
/// results; locations ignored).
bool sameFunction(func::FuncOp a, func::FuncOp b) {
  if (a.getFunctionType() != b.getFunctionType() ||
      a.getArgAttrsAttr() != b.getArgAttrsAttr() ||
      a.getResAttrsAttr() != b.getResAttrsAttr() ||
      a.getNoInline() != b.getNoInline() ||
      a->getDiscardableAttrDictionary() != b->getDiscardableAttrDictionary())
    return false;
  return OperationEquivalence::isRegionEquivalentTo(
      &a.getBody(), &b.getBody(), OperationEquivalence::IgnoreLocations);
}

struct MergeIdenticalFunctionsPass
    : mlir::flops::impl::MergeIdenticalFunctionsPassBase<
          MergeIdenticalFunctionsPass> {
  using Base::Base;

  void runOnOperation() override {
    while (mergeOnce()) {
    }
  }

  /// One round: returns whether a function was merged.
  bool mergeOnce() {
    ModuleOp module = getOperation();
    // The calls of each function; a function used otherwise stays.
    llvm::DenseMap<StringAttr, SmallVector<func::CallOp>> calls;
    llvm::DenseSet<StringAttr> pinned;
    if (auto uses = SymbolTable::getSymbolUses(&module.getBodyRegion())) {
      for (const SymbolTable::SymbolUse &use : *uses) {
        StringAttr root = use.getSymbolRef().getRootReference();
        auto call = dyn_cast<func::CallOp>(use.getUser());
        if (call && use.getSymbolRef().getNestedReferences().empty())
          calls[root].push_back(call);
        else
          pinned.insert(root);
      }
    } else {
      return false; // an unknown op may hold symbol uses
    }

    llvm::DenseMap<llvm::hash_code, SmallVector<func::FuncOp, 2>> kept;
    SmallVector<func::FuncOp> erase;
    for (auto f : module.getOps<func::FuncOp>()) {
      if (f.isExternal() || !f.isPrivate() ||
          pinned.contains(f.getSymNameAttr()))
        continue;
      SmallVector<func::FuncOp, 2> &bucket = kept[bodyHash(f)];
      func::FuncOp same;
      for (func::FuncOp g : bucket)
        if (sameFunction(g, f)) {
          same = g;
          break;
        }
      if (!same) {
        bucket.push_back(f);
        continue;
      }
      auto callee = FlatSymbolRefAttr::get(same.getSymNameAttr());
      for (func::CallOp c : calls.lookup(f.getSymNameAttr()))
        c.setCalleeAttr(callee);
      erase.push_back(f);
    }
    for (func::FuncOp f : erase)
      f.erase();
    return !erase.empty();
  }
};

} // namespace
