//===- SiteRules.cpp - a site's estimator rules, from Δ to parameters -----===//
//
// A site is a chain of ops ending at its tail (the perturbed value). From
// the tail's Δ, each op's EstimatorRuleOpInterface gives the estimates of
// the parameters it reads, and carries Δ back to the previous op of the
// site. A parameter read through a view (a reshape, a permuted copy) is
// re-viewed for the rule and its estimate viewed back.
//
//===----------------------------------------------------------------------===//

#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

/// A copy of `src` into a fresh tensor of `type` through `inMap`.
static Value copyInto(OpBuilder &b, Location l, Value src, Type type,
                      AffineMap inMap) {
  auto t = cast<RankedTensorType>(type);
  Value empty =
      tensor::EmptyOp::create(b, l, t.getShape(), t.getElementType());
  SmallVector<AffineMap> maps{inMap, b.getMultiDimIdentityMap(t.getRank())};
  return linalg::GenericOp::create(
             b, l, TypeRange{t}, ValueRange{src}, ValueRange{empty}, maps,
             SmallVector<utils::IteratorType>(t.getRank(),
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, a[0]);
             })
      .getResult(0);
}

/// A parameter view (a reshape) re-applied to `src`; a permuted copy (a
/// flipped window) re-applied into a fresh tensor.
static Value reshapeLike(OpBuilder &b, Location l, Operation *view,
                         Value src) {
  if (auto g = dyn_cast<linalg::GenericOp>(view))
    return copyInto(b, l, src, g->getResult(0).getType(),
                    g.getMatchingIndexingMap(g.getDpsInputOperand(0)));
  IRMapping m;
  m.map(view->getOperand(0), src);
  return b.clone(*view, m)->getResult(0);
}

/// The gradient `g` of a view's result as a gradient of the parameter.
static Value reshapeBack(OpBuilder &b, Location l, Operation *view, Value g,
                         Type paramType) {
  if (isa<linalg::GenericOp>(view))
    return copyInto(b, l, g, paramType, inversePermutedCopyMap(view));
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(view))
    return tensor::ExpandShapeOp::create(b, l, paramType, g,
                                         c.getReassociationIndices());
  auto e = cast<tensor::ExpandShapeOp>(view);
  return tensor::CollapseShapeOp::create(b, l, paramType, g,
                                         e.getReassociationIndices());
}

/// The estimates of the parameters `op` reads (operands and captured
/// values), added to `grads`; `ins` are the op's inputs as the rules see
/// them.
static void paramEstimates(StepContext &ctx, Operation *op, Value delta,
                           ArrayRef<Value> ins, MutableArrayRef<Value> grads) {
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  const ForwardInfo &info = ctx.info;
  auto rule = cast<EstimatorRuleOpInterface>(op);
  auto dps = cast<DestinationStyleOpInterface>(op);
  auto fail = [&](unsigned p) {
    op->emitError("the estimator rule failed to build the gradient of "
                  "parameter ")
        << paramName(info.fn, info.paramArgs[p]);
    ctx.ruleFailed = true;
  };
  for (OpOperand *in : dps.getDpsInputOperands()) {
    auto p = info.paramOf(in->get());
    if (!p)
      continue;
    unsigned j = ctx.abi.gradOf.lookup(*p);
    Operation *view = info.viewOp(in->get());
    Value init = view ? reshapeLike(b, l, view, grads[j]) : grads[j];
    FailureOr<Value> gr = rule.buildInputGradient(
        b, l, in->getOperandNumber(), delta, ins, init);
    // Site analysis checked this use, so a failure here is a rule whose
    // build disagrees with its check: an error, never a parameter left
    // with no or a partial gradient.
    if (failed(gr)) {
      fail(*p);
      continue;
    }
    grads[j] =
        view ? reshapeBack(b, l, view, *gr, grads[j].getType()) : *gr;
  }
  // Parameters the body reads (an embedding table).
  auto captured = info.captured.find(op);
  if (captured == info.captured.end())
    return;
  for (Value c : captured->second) {
    auto p = info.paramOf(c);
    unsigned j = ctx.abi.gradOf.lookup(*p);
    FailureOr<Value> gr =
        rule.buildCapturedGradient(b, l, c, delta, ins, grads[j]);
    if (failed(gr)) {
      fail(*p);
      continue;
    }
    grads[j] = *gr;
  }
}

void train::applySiteRules(StepContext &ctx, unsigned k, Value delta,
                           function_ref<Value(Value)> input,
                           MutableArrayRef<Value> grads) {
  OpBuilder &b = ctx.b;
  Location l = ctx.loc;
  const ForwardInfo &info = ctx.info;
  const SiteGroup &site = info.groups[ctx.perturbed[k]];
  for (int64_t o = site.ops.size() - 1; o >= 0; --o) {
    Operation *op = site.ops[o];
    auto rule = cast<EstimatorRuleOpInterface>(op);
    auto dps = cast<DestinationStyleOpInterface>(op);
    SmallVector<Value> ins;
    for (Value in : dps.getDpsInputs()) {
      if (auto p = info.paramOf(in)) {
        Operation *view = info.viewOp(in);
        Value param = ctx.arg(ctx.abi.pArg[*p]);
        ins.push_back(view ? reshapeLike(b, l, view, param) : param);
      } else {
        ins.push_back(input(in));
      }
    }
    paramEstimates(ctx, op, delta, ins, grads);
    if (o == 0)
      break;
    // Δ of the previous op of the site, through this one.
    Value prev = site.ops[o - 1]->getResult(0);
    for (OpOperand *in : dps.getDpsInputOperands())
      if (in->get() == prev) {
        FailureOr<Value> d = rule.buildInputGradient(
            b, l, in->getOperandNumber(), delta, ins, Value());
        if (failed(d)) {
          op->emitError("the estimator rule failed to carry the site's "
                        "perturbation back to its input #")
              << in->getOperandNumber();
          ctx.ruleFailed = true;
          return;
        }
        delta = *d;
        break;
      }
  }
}
