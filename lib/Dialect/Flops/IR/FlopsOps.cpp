//===- FlopsOps.cpp - flops dialect op verifiers --------------------------===//
//
// Local verifiers only (no def-use walks). Folders live in FlopsFolds.cpp.
//
//===----------------------------------------------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::flops;

#define GET_OP_CLASSES
#include "flops/Dialect/Flops/IR/FlopsOps.cpp.inc"

namespace {

/// Two sizes agree unless both are static and differ.
bool compatibleSize(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string sizeStr(int64_t s) {
  return ShapedType::isDynamic(s) ? std::string("?") : std::to_string(s);
}

/// Rules shared by every op that draws from the counter-based stream.
LogicalResult verifyNoiseAttrs(Operation *op, int64_t site, bool antithetic,
                               int64_t rows) {
  if (site < 0 || site > int64_t(UINT32_MAX))
    return op->emitOpError("site must be in [0, 2^32), got ") << site;
  if (antithetic && !ShapedType::isDynamic(rows) && rows % 2 != 0)
    return op->emitOpError("antithetic noise needs an even number of rows, "
                           "got ")
           << rows;
  return success();
}

/// Rules shared by the ops that act on one site (rows x units...).
LogicalResult verifySite(Operation *op, RankedTensorType site,
                         std::optional<int64_t> channelDim, int64_t &chan) {
  if (site.getRank() < 2)
    return op->emitOpError("expects a site of rank >= 2 (rows x units), got "
                           "rank ")
           << site.getRank();
  chan = channelDim ? *channelDim : site.getRank() - 1;
  if (chan < 1 || chan >= site.getRank())
    return op->emitOpError("channel_dim must be in [1, ")
           << site.getRank() << "), got " << chan;
  return success();
}

LogicalResult verifyPerUnit(Operation *op, StringRef what,
                            RankedTensorType vec, RankedTensorType site,
                            int64_t chan) {
  if (vec.getElementType() != site.getElementType())
    return op->emitOpError() << what << " element type "
                             << vec.getElementType()
                             << " does not match the site's "
                             << site.getElementType();
  if (!compatibleSize(vec.getDimSize(0), site.getDimSize(chan)))
    return op->emitOpError() << what << " has " << vec.getDimSize(0)
                             << " entries but dimension " << chan
                             << " of the site has " << site.getDimSize(chan);
  return success();
}

LogicalResult verifyPerRow(Operation *op, StringRef what,
                           RankedTensorType vec, RankedTensorType site) {
  if (vec.getElementType() != site.getElementType())
    return op->emitOpError() << what << " element type "
                             << vec.getElementType()
                             << " does not match the site's "
                             << site.getElementType();
  if (!compatibleSize(vec.getDimSize(0), site.getDimSize(0)))
    return op->emitOpError() << what << " has " << vec.getDimSize(0)
                             << " rows but the site has "
                             << site.getDimSize(0);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Noise ops
//===----------------------------------------------------------------------===//

LogicalResult NormalOp::verify() {
  auto type = getResult().getType();
  if (type.getRank() < 1)
    return emitOpError("expects a result of rank >= 1 (dimension 0 is the "
                       "row)");
  if (getDynamicSizes().size() !=
      static_cast<size_t>(type.getNumDynamicDims()))
    return emitOpError("expects ")
           << type.getNumDynamicDims()
           << " dynamic size operands (one per dynamic dimension of the "
              "result), got "
           << getDynamicSizes().size();
  return verifyNoiseAttrs(*this, getSite(), getAntithetic(),
                          type.getDimSize(0));
}

int64_t PerturbOp::getChannelDimension() {
  return getChannelDim() ? *getChannelDim()
                         : getInput().getType().getRank() - 1;
}

LogicalResult PerturbOp::verify() {
  auto site = getInput().getType();
  int64_t chan;
  if (failed(verifySite(*this, site, getChannelDim(), chan)) ||
      failed(verifyPerUnit(*this, "log_sigma", getLogSigma().getType(), site,
                           chan)))
    return failure();
  return verifyNoiseAttrs(*this, getSite(), getAntithetic(),
                          site.getDimSize(0));
}

int64_t SiteDeltaOp::getChannelDimension() {
  return getChannelDim() ? *getChannelDim()
                         : getLike().getType().getRank() - 1;
}

LogicalResult SiteDeltaOp::verify() {
  auto site = getLike().getType();
  int64_t chan;
  if (failed(verifySite(*this, site, getChannelDim(), chan)) ||
      failed(verifyPerRow(*this, "coeff", getCoeff().getType(), site)) ||
      failed(verifyPerUnit(*this, "log_sigma", getLogSigma().getType(), site,
                           chan)))
    return failure();
  return verifyNoiseAttrs(*this, getSite(), getAntithetic(),
                          site.getDimSize(0));
}

int64_t LogSigmaGradOp::getChannelDimension() {
  return getChannelDim() ? *getChannelDim()
                         : getLike().getType().getRank() - 1;
}

LogicalResult LogSigmaGradOp::verify() {
  auto site = getLike().getType();
  int64_t chan;
  if (failed(verifySite(*this, site, getChannelDim(), chan)) ||
      failed(verifyPerRow(*this, "coeff", getCoeff().getType(), site)) ||
      failed(verifyPerUnit(*this, "result", getResult().getType(), site,
                           chan)))
    return failure();
  return verifyNoiseAttrs(*this, getSite(), getAntithetic(),
                          site.getDimSize(0));
}

//===----------------------------------------------------------------------===//
// Allocation and expansion
//===----------------------------------------------------------------------===//

LogicalResult AllocateOp::verify() {
  int64_t budget = getBudget(), minCount = getMinCount();
  if (budget < 1)
    return emitOpError("budget must be >= 1, got ") << budget;
  if (minCount < 0)
    return emitOpError("min_count must be >= 0, got ") << minCount;
  if (getPairs() && (budget % 2 != 0 || minCount % 2 != 0))
    return emitOpError("pairs needs an even budget and an even min_count, "
                       "got budget ")
           << budget << " and min_count " << minCount;
  if (getStrategy() == AllocStrategy::neyman && minCount < 1)
    return emitOpError("the neyman strategy needs min_count >= 1");
  int64_t points = getScores().getType().getDimSize(0);
  if (!ShapedType::isDynamic(points) && points * minCount > budget)
    return emitOpError("budget ")
           << budget << " is smaller than " << points << " points x "
           << minCount << " minimum queries";
  if (!compatibleSize(points, getCounts().getType().getDimSize(0)))
    return emitOpError("expects one count per score, got ")
           << sizeStr(getCounts().getType().getDimSize(0)) << " counts for "
           << points << " scores";
  return success();
}

LogicalResult RowMapOp::verify() {
  bool dynamic = getResult().getType().isDynamicDim(0);
  if (dynamic && !getRows())
    return emitOpError("expects a `rows` operand when the number of rows is "
                       "dynamic");
  if (!dynamic && getRows())
    return emitOpError("takes no `rows` operand when the number of rows is "
                       "static");
  return success();
}

LogicalResult CounterNormalOp::verify() {
  if (getSite() < 0 || getSite() > int64_t(UINT32_MAX))
    return emitOpError("site must be in [0, 2^32), got ") << getSite();
  return success();
}

LogicalResult ScatterAddOp::verify() {
  auto rows = getRows().getType();
  auto acc = getAcc().getType();
  if (getResult().getType() != acc)
    return emitOpError("result type ")
           << getResult().getType() << " differs from the accumulator's "
           << acc;
  if (acc.getRank() < 1)
    return emitOpError("expects an accumulator of rank >= 1 (dimension 0 is "
                       "the data point)");
  if (!isa<FloatType>(acc.getElementType()))
    return emitOpError("expects floating-point elements, got ")
           << acc.getElementType();
  if (rows.getRank() != acc.getRank())
    return emitOpError("rows rank ")
           << rows.getRank() << " differs from accumulator rank "
           << acc.getRank();
  if (rows.getElementType() != acc.getElementType())
    return emitOpError("rows element type ")
           << rows.getElementType() << " differs from the accumulator's "
           << acc.getElementType();
  if (!compatibleSize(rows.getDimSize(0),
                      getRowMap().getType().getDimSize(0)))
    return emitOpError("rows has ")
           << sizeStr(rows.getDimSize(0)) << " rows but the row map has "
           << sizeStr(getRowMap().getType().getDimSize(0));
  for (int64_t d = 1; d < acc.getRank(); ++d)
    if (!compatibleSize(rows.getDimSize(d), acc.getDimSize(d)))
      return emitOpError("dimension ")
             << d << " of the rows (" << sizeStr(rows.getDimSize(d))
             << ") differs from the accumulator's ("
             << sizeStr(acc.getDimSize(d)) << ")";
  return success();
}

LogicalResult ExpandOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (in.getRank() < 1)
    return emitOpError("expects an input of rank >= 1 (dimension 0 is the "
                       "data point)");
  if (in.getRank() != out.getRank())
    return emitOpError("result rank ")
           << out.getRank() << " differs from input rank " << in.getRank();
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from input element type "
           << in.getElementType();
  if (!compatibleSize(out.getDimSize(0),
                      getRowMap().getType().getDimSize(0)))
    return emitOpError("result has ")
           << out.getDimSize(0) << " rows but the row map has "
           << getRowMap().getType().getDimSize(0);
  for (int64_t d = 1; d < in.getRank(); ++d)
    if (in.getDimSize(d) != out.getDimSize(d))
      return emitOpError("dimension ")
             << d << " of the result (" << sizeStr(out.getDimSize(d))
             << ") differs from the input's (" << sizeStr(in.getDimSize(d))
             << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Estimator building blocks
//===----------------------------------------------------------------------===//

LogicalResult RowWeightsOp::verify() {
  if (!compatibleSize(getResult().getType().getDimSize(0),
                      getRowMap().getType().getDimSize(0)))
    return emitOpError("result has ")
           << getResult().getType().getDimSize(0)
           << " rows but the row map has "
           << getRowMap().getType().getDimSize(0);
  return success();
}

LogicalResult ResidualOp::verify() {
  auto rows = getRowLosses().getType();
  auto clean = getCleanLosses().getType();
  if (rows.getElementType() != clean.getElementType())
    return emitOpError("clean loss element type ")
           << clean.getElementType() << " does not match the row losses' "
           << rows.getElementType();
  if (!compatibleSize(rows.getDimSize(0),
                      getRowMap().getType().getDimSize(0)))
    return emitOpError("has ")
           << rows.getDimSize(0) << " row losses but the row map has "
           << getRowMap().getType().getDimSize(0) << " rows";
  return success();
}
