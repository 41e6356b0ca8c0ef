//===- Specialize.cpp - give a function's dynamic batch a value -----------===//
//
// See include/flops/Driver/Specialize.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Specialize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

static std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

bool mlir::flops::driver::specializeBatch(func::FuncOp fn, int64_t batch,
                                          std::string *error) {
  std::string at = "@" + fn.getName().str();
  // Check everything first: nothing changes on failure.
  bool batchFromData = false;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    Type t = fn.getArgumentTypes()[i];
    auto tt = dyn_cast<RankedTensorType>(t);
    if (fn.getArgAttr(i, "flops.param")) {
      if (!tt || !tt.hasStaticShape()) {
        *error = at + " parameter " + std::to_string(i) + " has type " +
                 typeString(t) + "; parameters need static shapes";
        return false;
      }
      continue;
    }
    if (!tt)
      continue; // a scalar
    for (int64_t d = 1; d < tt.getRank(); ++d)
      if (tt.isDynamicDim(d)) {
        *error = at + " argument " + std::to_string(i) + " (" + typeString(t) +
                 ") has a dynamic dimension other than the batch";
        return false;
      }
    if (tt.getRank() >= 1 && tt.isDynamicDim(0))
      batchFromData = true;
    else if (tt.getRank() >= 1 && tt.getDimSize(0) != batch) {
      *error = at + " argument " + std::to_string(i) + " (" + typeString(t) +
               ") has a static batch of " + std::to_string(tt.getDimSize(0)) +
               ", not " + std::to_string(batch);
      return false;
    }
  }
  for (unsigned r = 0; r < fn.getNumResults(); ++r) {
    auto tt = dyn_cast<RankedTensorType>(fn.getResultTypes()[r]);
    if (!tt)
      continue;
    for (int64_t d = 0; d < tt.getRank(); ++d)
      if (tt.isDynamicDim(d) && (d != 0 || !batchFromData)) {
        *error = at + " result " + std::to_string(r) + " (" + typeString(tt) +
                 ") has a dynamic dimension that is not the batch of its "
                 "inputs";
        return false;
      }
  }

  MLIRContext *ctx = fn.getContext();
  ctx->getOrLoadDialect<tensor::TensorDialect>();
  OpBuilder b(ctx);
  Block &entry = fn.getBody().front();
  b.setInsertionPointToStart(&entry);
  SmallVector<Type> argTypes(fn.getArgumentTypes());
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto tt = dyn_cast<RankedTensorType>(argTypes[i]);
    if (fn.getArgAttr(i, "flops.param") || !tt || tt.getRank() < 1 ||
        !tt.isDynamicDim(0))
      continue;
    SmallVector<int64_t> shape(tt.getShape());
    shape[0] = batch;
    auto st = RankedTensorType::get(shape, tt.getElementType());
    BlockArgument arg = entry.getArgument(i);
    arg.setType(st);
    auto c = tensor::CastOp::create(b, fn.getLoc(), tt, arg);
    arg.replaceAllUsesExcept(c.getResult(), c.getOperation());
    argTypes[i] = st;
  }
  SmallVector<Type> resultTypes(fn.getResultTypes());
  for (Block &block : fn.getBody()) {
    Operation *ret = block.getTerminator();
    if (!isa<func::ReturnOp>(ret))
      continue;
    b.setInsertionPoint(ret);
    for (unsigned r = 0; r < resultTypes.size(); ++r) {
      auto tt = dyn_cast<RankedTensorType>(fn.getResultTypes()[r]);
      if (!tt || tt.hasStaticShape())
        continue;
      SmallVector<int64_t> shape(tt.getShape());
      shape[0] = batch;
      auto st = RankedTensorType::get(shape, tt.getElementType());
      auto c = tensor::CastOp::create(b, fn.getLoc(), st, ret->getOperand(r));
      ret->setOperand(r, c.getResult());
      resultTypes[r] = st;
    }
  }
  fn.setType(FunctionType::get(ctx, argTypes, resultTypes));
  return true;
}
