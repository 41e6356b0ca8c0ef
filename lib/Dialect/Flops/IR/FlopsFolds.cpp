//===- FlopsFolds.cpp - flops dialect folders ------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "flops/Runtime/Philox.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::flops;

/// Philox of constant operands is a constant: evaluate it with the runtime's
/// generator (the same one the lowering must agree with).
LogicalResult PhiloxOp::fold(FoldAdaptor adaptor,
                             SmallVectorImpl<OpFoldResult> &results) {
  uint32_t words[6];
  for (auto [i, attr] : llvm::enumerate(adaptor.getOperands())) {
    auto intAttr = llvm::dyn_cast_if_present<IntegerAttr>(attr);
    if (!intAttr)
      return failure();
    words[i] = static_cast<uint32_t>(intAttr.getValue().getZExtValue());
  }
  std::array<uint32_t, 4> out = ::flops::rt::philox4x32_10(
      {words[0], words[1]}, {words[2], words[3], words[4], words[5]});
  Type i32 = IntegerType::get(getContext(), 32);
  for (uint32_t w : out)
    results.push_back(IntegerAttr::get(i32, APInt(32, w)));
  return success();
}

/// With `row_mean` every row weighs 1/N whatever the counts.
OpFoldResult RowWeightsOp::fold(FoldAdaptor) {
  auto type = getResult().getType();
  if (getWeighting() != RowWeighting::row_mean || !type.hasStaticShape())
    return {};
  auto ft = cast<FloatType>(type.getElementType());
  APFloat w(1.0 / static_cast<double>(type.getDimSize(0)));
  bool lost;
  w.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
  return DenseElementsAttr::get(type, w);
}

/// Without a baseline the residual is the row loss itself.
OpFoldResult ResidualOp::fold(FoldAdaptor) {
  if (getBaseline() == Baseline::none)
    return getRowLosses();
  return {};
}
