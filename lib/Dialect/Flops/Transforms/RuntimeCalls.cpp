//===- RuntimeCalls.cpp - calls of libFlopsRuntime from the step ----------===//
//
// The allocators' small dense routines (a B x B Cholesky, the score-function
// update, the Bernoulli coin flips) are C++ in libFlopsRuntime
// (runtime/include/flops/Runtime/Allocators.h); the training step calls their
// C interface. On tensors a call reads its inputs through
// `bufferization.to_buffer read_only` and writes into fresh buffers
// (initialised from given tensors) that become tensors again with
// `bufferization.to_tensor restrict writable`, so both CPU pipelines
// bufferize it like any other op.
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::flops;

static MemRefType dynamicMemRef(Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  return MemRefType::get(
      SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic),
      type.getElementType());
}

static MemRefType staticMemRef(Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  return MemRefType::get(type.getShape(), type.getElementType());
}

SmallVector<Value> step::callRuntime(OpBuilder &b, Location loc,
                                     ModuleOp module, StringRef name,
                                     ValueRange ins, ValueRange outs,
                                     ValueRange scalars) {
  SmallVector<Type> argTypes;
  for (Value v : ins)
    argTypes.push_back(dynamicMemRef(v));
  for (Value v : outs)
    argTypes.push_back(dynamicMemRef(v));
  for (Value v : scalars)
    argTypes.push_back(v.getType());
  auto fnType = b.getFunctionType(argTypes, {b.getI32Type()});
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    callee = func::FuncOp::create(b, loc, name, fnType);
    callee.setPrivate();
    callee->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }

  SmallVector<Value> operands;
  for (Value v : ins) {
    Value m = bufferization::ToBufferOp::create(b, loc, staticMemRef(v), v,
                                                /*read_only=*/true);
    operands.push_back(
        memref::CastOp::create(b, loc, dynamicMemRef(v), m).getResult());
  }
  SmallVector<Value> buffers;
  for (Value v : outs) {
    MemRefType type = staticMemRef(v);
    Value init =
        bufferization::ToBufferOp::create(b, loc, type, v, /*read_only=*/true);
    Value buf = memref::AllocOp::create(b, loc, type);
    memref::CopyOp::create(b, loc, init, buf);
    buffers.push_back(buf);
    operands.push_back(
        memref::CastOp::create(b, loc, dynamicMemRef(v), buf).getResult());
  }
  operands.append(scalars.begin(), scalars.end());
  func::CallOp::create(b, loc, callee, operands);
  SmallVector<Value> results;
  for (auto [v, buf] : llvm::zip(outs, buffers))
    results.push_back(bufferization::ToTensorOp::create(
        b, loc, v.getType(), buf, /*restrict=*/true, /*writable=*/true));
  return results;
}

Value step::convertElements(OpBuilder &b, Location loc, Value t, Type elem) {
  Type from = getElementTypeOrSelf(t);
  if (from == elem)
    return t;
  auto type = cast<RankedTensorType>(t.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, t), elem);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{t},
             ValueRange{empty}, SmallVector<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value v = a[0];
               if (isa<FloatType>(from) && isa<FloatType>(elem))
                 v = from.getIntOrFloatBitWidth() < elem.getIntOrFloatBitWidth()
                         ? Value(arith::ExtFOp::create(nb, l, elem, v))
                         : Value(arith::TruncFOp::create(nb, l, elem, v));
               else if (isa<IntegerType>(from) && isa<FloatType>(elem))
                 v = arith::SIToFPOp::create(nb, l, elem, v);
               else if (isa<FloatType>(from) && isa<IntegerType>(elem))
                 v = arith::FPToSIOp::create(nb, l, elem, v);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

Value step::rowSumSquares(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  Type elem = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> rows = {tensor::getMixedSize(b, loc, t, 0)};
  Value init = linalg::FillOp::create(
                   b, loc, constF(b, loc, elem, 0.0),
                   ValueRange{tensor::EmptyOp::create(b, loc, rows, elem)})
                   .getResult(0);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::reduction);
  iters[0] = utils::IteratorType::parallel;
  MLIRContext *ctx = b.getContext();
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{t}, ValueRange{init},
             SmallVector<AffineMap>{
                 b.getMultiDimIdentityMap(rank),
                 AffineMap::get(rank, 0, getAffineDimExpr(0, ctx))},
             iters,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value sq = arith::MulFOp::create(nb, l, a[0], a[0]);
               linalg::YieldOp::create(
                   nb, l, Value(arith::AddFOp::create(nb, l, a[1], sq)));
             })
      .getResult(0);
}

Value step::filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elem, Attribute value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, elem);
  Value c = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  return linalg::FillOp::create(b, loc, c, ValueRange{empty}).getResult(0);
}
