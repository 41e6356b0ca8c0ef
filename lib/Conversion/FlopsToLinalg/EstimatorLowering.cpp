//===- EstimatorLowering.cpp - expand, scatter_add, row_weights, residual -===//

#include "PatternsInternal.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::flops;

namespace {

/// A 1-D generic over the N rows of `rowMap` producing `type`, whose body
/// gets the row's point index (as `index`) and returns the row's value.
Value rowGeneric(OpBuilder &rewriter, Location loc, RankedTensorType type,
                 Value rowMap, ValueRange extraInputs,
                 function_ref<Value(OpBuilder &, Location, Value point,
                                    ValueRange extra)>
                     body) {
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(tensor::DimOp::create(rewriter, loc, rowMap, 0));
  Value empty = tensor::EmptyOp::create(rewriter, loc, type, dyn);
  SmallVector<Value> inputs{rowMap};
  inputs.append(extraInputs.begin(), extraInputs.end());
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, rewriter.getContext());
  SmallVector<AffineMap> maps(inputs.size() + 1, id);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{type}, inputs, ValueRange{empty}, maps,
      {utils::IteratorType::parallel},
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value point = arith::IndexCastOp::create(b, l, b.getIndexType(),
                                                 args[0]);
        Value v = body(b, l, point, args.drop_front().drop_back());
        linalg::YieldOp::create(b, l, v);
      });
  return generic.getResult(0);
}

/// One-row slices [1, d1, ..., d_{rank-1}] of tensors whose dimensions
/// after the first are those of `like`.
struct RowSlices {
  RankedTensorType type;
  SmallVector<OpFoldResult> sizes, strides;

  RowSlices(OpBuilder &b, Location loc, Value like) {
    auto likeType = cast<RankedTensorType>(like.getType());
    SmallVector<int64_t> shape(likeType.getShape());
    shape[0] = 1;
    type = RankedTensorType::get(shape, likeType.getElementType());
    sizes = tensor::getMixedSizes(b, loc, like);
    sizes[0] = b.getIndexAttr(1);
    strides.assign(shape.size(), b.getIndexAttr(1));
  }
  SmallVector<OpFoldResult> at(OpBuilder &b, Value row) const {
    SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
    offsets[0] = row;
    return offsets;
  }
  Value extract(OpBuilder &b, Location l, Value src, Value row) const {
    return tensor::ExtractSliceOp::create(b, l, type, src, at(b, row), sizes,
                                          strides);
  }
  Value insert(OpBuilder &b, Location l, Value slice, Value dest,
               Value row) const {
    return tensor::InsertSliceOp::create(b, l, slice, dest, at(b, row), sizes,
                                         strides);
  }
};

/// An scf.for over the rows r of `rowMap` carrying `init`; `body` gets r,
/// its point rowMap[r] (as index) and the carried value, and returns the
/// next one.
Value forEachMappedRow(
    OpBuilder &rewriter, Location loc, Value rowMap, Value init,
    function_ref<Value(OpBuilder &, Location, Value r, Value point,
                       Value carried)>
        body) {
  Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value n = tensor::DimOp::create(rewriter, loc, rowMap, 0);
  auto loop = scf::ForOp::create(
      rewriter, loc, c0, n, c1, ValueRange{init},
      [&](OpBuilder &b, Location l, Value r, ValueRange iter) {
        Value point = arith::IndexCastOp::create(
            b, l, b.getIndexType(), tensor::ExtractOp::create(b, l, rowMap, r));
        scf::YieldOp::create(b, l, body(b, l, r, point, iter[0]));
      });
  return loop.getResult(0);
}

struct ExpandLowering : OpConversionPattern<ExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    int64_t rank = type.getRank();
    Value input = a.getInput(), rowMap = a.getRowMap();
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < rank; ++d)
      if (type.isDynamicDim(d))
        dyn.push_back(
            tensor::DimOp::create(rewriter, loc, d == 0 ? rowMap : input, d));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type, dyn);
    if (rank >= 2) {
      // Row copies (a memcpy each after bufferization). A gather in a
      // generic would be fused into its consumers, e.g. the noise of a
      // flops.perturb, and keep them from vectorizing.
      RowSlices slices(rewriter, loc, input);
      rewriter.replaceOp(
          op, forEachMappedRow(rewriter, loc, rowMap, empty,
                               [&](OpBuilder &b, Location l, Value r,
                                   Value point, Value result) {
                                 Value row = slices.extract(b, l, input, point);
                                 return slices.insert(b, l, row, result, r);
                               }));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{rowMap}, ValueRange{empty},
        SmallVector<AffineMap>{
            AffineMap::get(rank, 0, getAffineDimExpr(0, ctx)),
            rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> idx{
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0])};
          for (int64_t d = 1; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          linalg::YieldOp::create(
              b, l, Value(tensor::ExtractOp::create(b, l, input, idx)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// A loop over the rows: each row is added to its point's row of the
/// accumulator (a one-row slice, updated in place after bufferization).
struct ScatterAddLowering : OpConversionPattern<ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterAddOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value rows = a.getRows(), rowMap = a.getRowMap(), acc = a.getAcc();
    int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
    RowSlices slices(rewriter, loc, acc);
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    Value result = forEachMappedRow(
        rewriter, loc, rowMap, acc,
        [&](OpBuilder &b, Location l, Value r, Value point, Value sums) {
          Value accRow = slices.extract(b, l, sums, point);
          Value row = slices.extract(b, l, rows, r);
          Value sum =
              linalg::GenericOp::create(
                  b, l, TypeRange{slices.type}, ValueRange{row},
                  ValueRange{accRow}, SmallVector<AffineMap>{id, id},
                  SmallVector<utils::IteratorType>(
                      rank, utils::IteratorType::parallel),
                  [](OpBuilder &nb, Location nl, ValueRange args) {
                    linalg::YieldOp::create(
                        nb, nl,
                        Value(arith::AddFOp::create(nb, nl, args[1], args[0])));
                  })
                  .getResult(0);
          return slices.insert(b, l, sum, sums, point);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RowWeightsLowering : OpConversionPattern<RowWeightsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RowWeightsOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Type ft = type.getElementType();
    Value counts = a.getCounts(), rowMap = a.getRowMap();
    Value one = arith::ConstantOp::create(rewriter, loc,
                                          rewriter.getFloatAttr(ft, 1.0));
    auto asFloat = [&](OpBuilder &b, Location l, Value index) -> Value {
      Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), index);
      return arith::SIToFPOp::create(b, l, ft, i64);
    };
    Value result;
    if (op.getWeighting() == RowWeighting::row_mean) {
      Value n = asFloat(rewriter, loc,
                        tensor::DimOp::create(rewriter, loc, rowMap, 0));
      Value w = arith::DivFOp::create(rewriter, loc, one, n);
      result = rowGeneric(rewriter, loc, type, rowMap, {},
                          [&](OpBuilder &, Location, Value, ValueRange) {
                            return w;
                          });
    } else {
      Value points = asFloat(rewriter, loc,
                             tensor::DimOp::create(rewriter, loc, counts, 0));
      result = rowGeneric(
          rewriter, loc, type, rowMap, {},
          [&](OpBuilder &b, Location l, Value point, ValueRange) -> Value {
            Value c = tensor::ExtractOp::create(b, l, counts, point);
            Value cf = arith::SIToFPOp::create(b, l, ft, c);
            Value denom = arith::MulFOp::create(b, l, points, cf);
            return arith::DivFOp::create(b, l, one, denom);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ResidualLowering : OpConversionPattern<ResidualOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ResidualOp op, OpAdaptor a,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Type ft = type.getElementType();
    Value losses = a.getRowLosses(), clean = a.getCleanLosses();
    if (op.getBaseline() == Baseline::none) {
      rewriter.replaceOp(op, losses);
      return success();
    }
    Value mean;
    if (op.getBaseline() == Baseline::batch_mean) {
      // Sequential sum over the B clean losses, then one division.
      auto scalar = RankedTensorType::get({}, ft);
      Value zero = arith::ConstantOp::create(rewriter, loc,
                                             rewriter.getFloatAttr(ft, 0.0));
      Value acc = linalg::FillOp::create(
                      rewriter, loc, zero,
                      ValueRange{tensor::EmptyOp::create(rewriter, loc, scalar,
                                                         ValueRange{})})
                      .getResult(0);
      MLIRContext *ctx = rewriter.getContext();
      auto sum = linalg::GenericOp::create(
          rewriter, loc, TypeRange{scalar}, ValueRange{clean}, ValueRange{acc},
          SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(1, ctx),
                                 AffineMap::get(1, 0, ctx)},
          {utils::IteratorType::reduction},
          [&](OpBuilder &b, Location l, ValueRange args) {
            linalg::YieldOp::create(
                b, l, Value(arith::AddFOp::create(b, l, args[1], args[0])));
          });
      Value total = tensor::ExtractOp::create(rewriter, loc, sum.getResult(0),
                                              ValueRange{});
      Value b64 = arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(),
          tensor::DimOp::create(rewriter, loc, clean, 0));
      Value bf = arith::SIToFPOp::create(rewriter, loc, ft, b64);
      mean = arith::DivFOp::create(rewriter, loc, total, bf);
    }
    Value result = rowGeneric(
        rewriter, loc, type, a.getRowMap(), {losses},
        [&](OpBuilder &b, Location l, Value point, ValueRange extra) -> Value {
          Value beta = mean ? mean
                            : Value(tensor::ExtractOp::create(b, l, clean,
                                                              point));
          return arith::SubFOp::create(b, l, extra[0], beta);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::flops::populateEstimatorLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ExpandLowering, ScatterAddLowering, RowWeightsLowering,
               ResidualLowering>(
      patterns.getContext());
}
