//===- JitTest.cpp - which functions the JIT compiles at the cold level ---===//

#include "flops/Driver/Jit.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace {

/// `void name()` calling each of `callees` (declared `void()` when new).
llvm::Function *define(llvm::Module &m, llvm::StringRef name,
                       std::initializer_list<llvm::StringRef> callees) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false);
  auto *f = llvm::cast<llvm::Function>(
      m.getOrInsertFunction(name, type).getCallee());
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  for (llvm::StringRef c : callees)
    b.CreateCall(m.getOrInsertFunction(c, type));
  b.CreateRetVoid();
  return f;
}

TEST(JitTiers, SequencingFunctions) {
  llvm::LLVMContext ctx;
  llvm::Module m("m", ctx);
  using mlir::flops::driver::isSequencingFunction;
  // The step calling its loop nests.
  EXPECT_TRUE(isSequencingFunction(*define(m, "train_step", {"train_step_nest0"})));
  // A straight-line run of calls that the outliner moved out of the chunk
  // loop: it calls its sibling nests (named after the same root).
  EXPECT_TRUE(isSequencingFunction(
      *define(m, "train_step_nest969", {"malloc", "train_step_nest12"})));
  // Nested names resolve to the same root.
  EXPECT_TRUE(isSequencingFunction(
      *define(m, "train_step_nest5_nest2", {"train_step_nest4"})));
  // Loop nests: no call of a nest (runtime calls only).
  EXPECT_FALSE(isSequencingFunction(*define(m, "train_step_nest12", {"malloc"})));
  EXPECT_FALSE(isSequencingFunction(*define(m, "train_step_nest4", {})));
  // Another root's nests (flops-merge-identical-functions shares equal nests
  // between the steps).
  EXPECT_TRUE(isSequencingFunction(
      *define(m, "eval_step_nest3", {"train_step_nest0"})));
  EXPECT_TRUE(isSequencingFunction(
      *define(m, "eval_step", {"malloc", "train_step_nest7"})));
  // Names that only look like nests.
  EXPECT_FALSE(isSequencingFunction(
      *define(m, "layer_nestx", {"train_step_nestx", "step_nest"})));
  // The C interface and packed wrappers.
  EXPECT_TRUE(isSequencingFunction(*define(m, "_mlir_ciface_train_step", {})));
  EXPECT_TRUE(isSequencingFunction(*define(m, "_flops_packed_train_step", {})));
}

} // namespace
