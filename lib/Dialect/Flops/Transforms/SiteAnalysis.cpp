//===- SiteAnalysis.cpp - perturbation sites of a forward function --------===//

#include "SiteAnalysis.h"
#include "BatchFirstSites.h"
#include "RowIndependence.h"

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::flops;

std::optional<unsigned> ForwardInfo::paramOf(Value v) const {
  auto view = views.find(v);
  if (view != views.end())
    return view->second;
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != entry)
    return std::nullopt;
  auto it = paramPos.find(arg.getArgNumber());
  if (it == paramPos.end())
    return std::nullopt;
  return it->second;
}

SmallVector<Value> ForwardInfo::paramReads(Operation *op) const {
  SmallVector<Value> reads(op->getOperands());
  auto it = captured.find(op);
  if (it != captured.end())
    reads.append(it->second.begin(), it->second.end());
  return reads;
}

/// Per result of a permuted copy's input map: the output dimension it reads
/// and whether it reads it flipped (size - 1 - d).
static std::optional<SmallVector<std::pair<unsigned, bool>>>
copyPermutation(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 || g->getNumResults() != 1)
    return std::nullopt;
  auto inType = dyn_cast<RankedTensorType>(g.getDpsInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(g->getResult(0).getType());
  if (!inType || !outType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || inType.getRank() != outType.getRank())
    return std::nullopt;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return std::nullopt;
  if (!g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  AffineMap m = g.getMatchingIndexingMap(g.getDpsInputOperand(0));
  SmallVector<std::pair<unsigned, bool>> perm;
  llvm::SmallBitVector seen(outType.getRank());
  for (auto [i, e] : llvm::enumerate(m.getResults())) {
    std::optional<std::pair<unsigned, bool>> found;
    for (unsigned d = 0; d < outType.getRank() && !found; ++d) {
      if (inType.getDimSize(i) != outType.getDimSize(d))
        continue;
      AffineExpr dim = getAffineDimExpr(d, op->getContext());
      if (e == dim)
        found = {d, false};
      else if (e == inType.getDimSize(i) - 1 - dim)
        found = {d, true};
    }
    if (!found || seen.test(found->first))
      return std::nullopt;
    seen.set(found->first);
    perm.push_back(*found);
  }
  return perm;
}

bool mlir::flops::isPermutedCopy(Operation *op) {
  return copyPermutation(op).has_value();
}

AffineMap mlir::flops::inversePermutedCopyMap(Operation *op) {
  SmallVector<std::pair<unsigned, bool>> perm = *copyPermutation(op);
  auto inType = cast<RankedTensorType>(op->getOperand(0).getType());
  MLIRContext *ctx = op->getContext();
  // in[i] = out[d_i] (flipped or not), so out[d_i] = in[i] with the same
  // flip: the inverse map reads the gradient of `out` at d_i from the
  // gradient of `in`'s index i.
  SmallVector<AffineExpr> exprs(perm.size());
  for (auto [i, pf] : llvm::enumerate(perm)) {
    AffineExpr dim = getAffineDimExpr(i, ctx);
    exprs[pf.first] = pf.second ? inType.getDimSize(i) - 1 - dim : dim;
  }
  return AffineMap::get(perm.size(), 0, exprs, ctx);
}

static std::string argName(func::FuncOp fn, unsigned i) {
  if (auto name = fn.getArgAttrOfType<StringAttr>(i, "flops.name"))
    return name.str();
  return "#" + std::to_string(i);
}

/// Checks that dimension 0 of `type` agrees with the batch seen so far.
static LogicalResult unifyBatch(Operation *where, Type type, int64_t &batch,
                                bool &seen, StringRef what) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || t.getRank() < 1)
    return where->emitError() << what
                              << " must be a ranked tensor with the batch in "
                                 "dimension 0, got "
                              << type;
  int64_t b = t.getDimSize(0);
  if (!seen) {
    batch = b;
    seen = true;
    return success();
  }
  if (b != batch)
    return where->emitError()
           << "batch dimensions disagree: " << what << " has "
           << (ShapedType::isDynamic(b) ? std::string("?")
                                        : std::to_string(b))
           << " rows, earlier data had "
           << (ShapedType::isDynamic(batch) ? std::string("?")
                                            : std::to_string(batch));
  return success();
}

FailureOr<ForwardInfo> mlir::flops::analyzeForward(func::FuncOp fn,
                                                    bool batchFirst) {
  ForwardInfo info;
  info.fn = fn;
  if (fn.isExternal())
    return fn.emitError("the forward function has no body"), failure();
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("the forward function must have a single block "
                        "(structured control flow only)"),
           failure();
  info.entry = &fn.getBody().front();
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    if (fn.getArgAttr(i, "flops.param")) {
      auto t = dyn_cast<RankedTensorType>(fn.getArgument(i).getType());
      if (!t || !isa<FloatType>(t.getElementType()) || !t.hasStaticShape())
        return fn.emitError() << "parameter " << argName(fn, i)
                              << " must be a statically shaped float tensor, "
                                 "got "
                              << fn.getArgument(i).getType(),
               failure();
      info.paramPos[i] = info.paramArgs.size();
      info.paramArgs.push_back(i);
    } else {
      info.dataArgs.push_back(i);
    }
  }
  if (info.paramArgs.empty())
    return fn.emitError("the forward function has no parameters: mark the "
                        "trainable arguments with the `flops.param` "
                        "attribute"),
           failure();
  if (fn.getNumResults() == 0)
    return fn.emitError("the forward function has no result"), failure();
  if (info.dataArgs.empty())
    return fn.emitError("the forward function has no data argument"),
           failure();

  bool seen = false;
  for (unsigned i : info.dataArgs)
    if (failed(unifyBatch(fn, fn.getArgument(i).getType(), info.batch, seen,
                          "data argument " + argName(fn, i))))
      return failure();
  Operation *ret = fn.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands()))
    if (failed(unifyBatch(ret, v.getType(), info.batch, seen,
                          "result #" + std::to_string(i))))
      return failure();

  // Every use of a parameter (or of a reshape of it) must be an input of an
  // op with an estimator rule that can estimate it.
  for (unsigned i : info.paramArgs) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : fn.getArgument(i).getUses()) {
      Operation *user = use.getOwner();
      bool reshape = isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
                         user) &&
                     cast<RankedTensorType>(user->getResult(0).getType())
                         .hasStaticShape();
      if (user->getBlock() == info.entry &&
          (reshape || (isPermutedCopy(user) && use.getOperandNumber() == 0))) {
        info.views[user->getResult(0)] = info.paramPos[i];
        for (OpOperand &viewUse : user->getResult(0).getUses())
          uses.push_back(&viewUse);
        continue;
      }
      uses.push_back(&use);
    }
    for (OpOperand *usePtr : uses) {
      OpOperand &use = *usePtr;
      Operation *user = use.getOwner();
      // Read inside the body of a top-level op (a gather from an embedding
      // table): the op's rule must accept the captured parameter.
      if (user->getBlock() != info.entry) {
        Operation *top = info.entry->findAncestorOpInBlock(*user);
        auto topRule = dyn_cast_or_null<EstimatorRuleOpInterface>(top);
        if (!topRule || top->getNumResults() != 1)
          return user->emitError() << "parameter " << argName(fn, i)
                                   << " is used inside a nested region",
                 failure();
        std::string reason;
        if (failed(topRule.checkCapturedEstimable(use.get(), reason)))
          return top->emitError() << "cannot estimate the gradient of "
                                     "parameter "
                                  << argName(fn, i) << ": '"
                                  << top->getName() << "' " << reason,
                 failure();
        if (!llvm::is_contained(info.captured[top], use.get()))
          info.captured[top].push_back(use.get());
        continue;
      }
      auto rule = dyn_cast<EstimatorRuleOpInterface>(user);
      if (!rule)
        return user->emitError()
                   << "parameter " << argName(fn, i) << " is used by '"
                   << user->getName()
                   << "', which has no estimator rule (supported: linalg "
                      "contractions and convolutions, elementwise "
                      "linalg.generic ops)",
               failure();
      if (user->getBlock() != &fn.getBody().front())
        return user->emitError() << "parameter " << argName(fn, i)
                                 << " is used inside a nested region",
               failure();
      auto dps = cast<DestinationStyleOpInterface>(user);
      if (!dps.isDpsInput(&use))
        return user->emitError() << "parameter " << argName(fn, i)
                                 << " is used as an output (init) operand",
               failure();
      std::string reason;
      if (failed(rule.checkEstimable(use.getOperandNumber(), reason)))
        return user->emitError() << "cannot estimate the gradient of "
                                    "parameter "
                                 << argName(fn, i) << ": '" << user->getName()
                                 << "' " << reason,
               failure();
      if (user->getNumResults() != 1)
        return user->emitError("an op with parameters must have one result"),
               failure();
    }
  }

  FailureOr<DenseMap<Value, RowLayout>> rowLayout = checkRowIndependence(info);
  if (failed(rowLayout))
    return failure();
  // Sites that hold the batch elsewhere than alone in dimension 0 are
  // rewritten to compute batch-first; the rewritten forward is analyzed
  // afresh.
  if (batchFirst) {
    FailureOr<bool> changed = makeSitesBatchFirst(info, *rowLayout);
    if (failed(changed))
      return failure();
    if (*changed)
      return analyzeForward(fn, /*batchFirst=*/false);
  }

  // Group the parametric ops into sites, in program order.
  DenseMap<Value, unsigned> groupOfTail;
  for (Operation &op : fn.getBody().front()) {
    // A view of a parameter (a reshape, a permuted copy) is not a site: its
    // users are.
    if (op.getNumResults() == 1 && info.views.count(op.getResult(0)))
      continue;
    bool usesParam = llvm::any_of(info.paramReads(&op), [&](Value v) {
      return info.paramOf(v).has_value();
    });
    if (!usesParam)
      continue;
    auto rule = cast<EstimatorRuleOpInterface>(&op);
    std::optional<unsigned> extend;
    if (!rule.isSiteContraction()) {
      auto dps = cast<DestinationStyleOpInterface>(&op);
      for (OpOperand *in : dps.getDpsInputOperands()) {
        auto it = groupOfTail.find(in->get());
        std::string reason;
        if (it != groupOfTail.end() && in->get().hasOneUse() &&
            succeeded(rule.checkEstimable(in->getOperandNumber(), reason))) {
          extend = it->second;
          groupOfTail.erase(it);
          break;
        }
      }
    }
    if (!extend) {
      extend = info.groups.size();
      info.groups.emplace_back();
      info.groups.back().channelDim = rule.getSiteChannelDim();
    }
    SiteGroup &g = info.groups[*extend];
    g.ops.push_back(&op);
    g.tail = op.getResult(0);
    groupOfTail[g.tail] = *extend;
    auto tailType = cast<RankedTensorType>(g.tail.getType());
    if (tailType.getRank() < 2)
      return op.emitError("a perturbation site needs rank >= 2 (rows x "
                          "units), got ")
                 << g.tail.getType(),
             failure();
    // The noise and the estimates index a site's rows as the batch's: a
    // site whose dimension 0 is something else (e.g. the batch merged with
    // tokens) has no per-point noise.
    int64_t rows = tailType.getDimSize(0);
    if (!ShapedType::isDynamic(rows) && !ShapedType::isDynamic(info.batch) &&
        rows != info.batch)
      return op.emitError()
                 << "batch dimensions disagree: this perturbation site has "
                 << (ShapedType::isDynamic(rows) ? std::string("?")
                                                 : std::to_string(rows))
                 << " rows in dimension 0, the forward's batch is "
                 << (ShapedType::isDynamic(info.batch)
                         ? std::string("?")
                         : std::to_string(info.batch))
                 << " (sites must keep the batch in dimension 0)",
             failure();
    auto merged = rowLayout->find(g.tail);
    if (merged != rowLayout->end() && !merged->second.isBatchAlone())
      return op.emitError()
                 << "this perturbation site does not hold the batch alone in "
                    "dimension 0 (batch in dimension "
                 << merged->second.dim << ", "
                 << merged->second.outer * merged->second.inner
                 << " entries per row there; sites must keep the batch in "
                    "dimension 0)",
             failure();
  }
  return info;
}
