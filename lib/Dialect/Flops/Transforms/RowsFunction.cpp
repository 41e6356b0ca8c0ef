//===- RowsFunction.cpp - @<entry>_rows, the perturbed forward ------------===//
//
// A copy of the forward whose sites add counter-based noise
// (flops.perturb) to their outputs (with perturb=layer-wise, only on the
// rows whose site is this one: layerWiseSite): arguments are the forward's, then seed,
// step, the first row's index and one log-sigma per site, then the per-point
// prefix values expanded to the rows; results are the forward's, then per
// site its perturbed value and the layer inputs its rules read.
//
//===----------------------------------------------------------------------===//

#include "StepBuilders.h"
#include "TrainStep.h"

#include "flops/Dialect/Flops/IR/FlopsOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

func::FuncOp train::buildRowsFunction(const Options &opt,
                                      const ForwardInfo &info,
                                      ArrayRef<unsigned> perturbed,
                                      SmallVectorImpl<SiteExtras> &extras,
                                      PointPrefix &prefix) {
  func::FuncOp fn = info.fn;
  if (opt.pointPrefix)
    prefix = analyzePointPrefix(info, perturbed);
  else
    prefix.pointSite.assign(perturbed.size(), false);
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(fn);
  Location loc = fn.getLoc();
  Type i64 = b.getI64Type(), index = b.getIndexType();

  SmallVector<Type> argTypes(fn.getArgumentTypes());
  unsigned seedArg = argTypes.size();
  argTypes.append({i64, i64, index});
  SmallVector<unsigned> rhoArg;
  for (unsigned g : perturbed) {
    const SiteGroup &site = info.groups[g];
    auto tt = cast<RankedTensorType>(site.tail.getType());
    rhoArg.push_back(argTypes.size());
    argTypes.push_back(RankedTensorType::get({tt.getDimSize(site.channelDim)},
                                             tt.getElementType()));
  }
  // Results: the forward's, then per site its value and layer inputs (the
  // step reads a point site's inputs from the points function instead).
  SmallVector<Value> extraValues;
  SmallVector<Type> resultTypes(fn.getResultTypes());
  for (auto [k, g] : llvm::enumerate(perturbed)) {
    const SiteGroup &site = info.groups[g];
    SiteExtras e;
    e.siteResult = resultTypes.size();
    resultTypes.push_back(site.tail.getType());
    extraValues.push_back(site.tail);
    if (!prefix.pointSite[k])
      for (Operation *op : site.ops)
      for (Value in : cast<DestinationStyleOpInterface>(op).getDpsInputs())
        if (!info.paramOf(in) && !e.inputPos.count(in)) {
          e.inputPos[in] = resultTypes.size();
          resultTypes.push_back(in.getType());
          extraValues.push_back(in);
        }
    extras.push_back(std::move(e));
  }
  // The prefix values the rows read: arguments after the log-sigmas.
  SmallVector<Value> rowReads(extraValues);
  rowReads.append(fn.getBody().front().getTerminator()->operand_begin(),
                  fn.getBody().front().getTerminator()->operand_end());
  buildPointsFunction(info, perturbed, rowReads,
                      (fn.getName() + "_points" + opt.suffix).str(), prefix);
  unsigned frontierArg = argTypes.size();
  for (Value v : prefix.frontier)
    argTypes.push_back(v.getType());
  auto rows = func::FuncOp::create(b, loc,
                                   (fn.getName() + "_rows" + opt.suffix).str(),
                                   b.getFunctionType(argTypes, resultTypes));
  rows.setPrivate();
  Block *body = rows.addEntryBlock();
  OpBuilder rb = OpBuilder::atBlockBegin(body);
  IRMapping map;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
    map.map(fn.getArgument(i), body->getArgument(i));
  for (auto [j, v] : llvm::enumerate(prefix.frontier))
    map.map(v, body->getArgument(frontierArg + j));
  Value seed = body->getArgument(seedArg), step = body->getArgument(seedArg + 1),
        offset = body->getArgument(seedArg + 2);
  // perturb=layer-wise: row r keeps site k's noise only where
  // layerWiseSite(r) = k.
  bool layerWise = opt.perturb == "layer-wise";
  int64_t numSites = perturbed.size();
  Value phase =
      layerWise ? layerWisePhase(rb, loc, seed, step, numSites) : Value();
  DenseMap<Operation *, unsigned> tailOf;
  for (auto [k, g] : llvm::enumerate(perturbed))
    tailOf[info.groups[g].tail.getDefiningOp()] = k;
  DenseMap<Value, Value> perturbedValue;
  for (Operation &op : fn.getBody().front().without_terminator()) {
    // A prefix op's values that the rows read are arguments.
    Value tail = prefix.ops.contains(&op) ? map.lookupOrNull(op.getResult(0))
                                          : rb.clone(op, map)->getResult(0);
    auto it = tailOf.find(&op);
    if (it == tailOf.end())
      continue;
    unsigned k = it->second;
    const SiteGroup &site = info.groups[perturbed[k]];
    auto p = PerturbOp::create(
        rb, op.getLoc(), tail.getType(), tail,
        body->getArgument(rhoArg[k]),
        seed, step, offset, rb.getI64IntegerAttr(k),
        opt.antithetic ? rb.getUnitAttr() : nullptr,
        rb.getI64IntegerAttr(site.channelDim));
    Value pv = p.getResult();
    if (layerWise)
      pv = step::map(
          rb, op.getLoc(), tail, ValueRange{tail, pv},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value row = arith::AddIOp::create(
                nb, l, offset, linalg::IndexOp::create(nb, l, 0));
            Value on = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::eq,
                layerWiseSite(nb, l, phase, row, numSites, opt.antithetic),
                arith::ConstantIndexOp::create(nb, l, k));
            return Value(arith::SelectOp::create(nb, l, on, a[1], a[0]));
          });
    perturbedValue[site.tail] = pv;
    map.map(op.getResult(0), pv);
  }
  SmallVector<Value> results;
  for (Value v : fn.getBody().front().getTerminator()->getOperands())
    results.push_back(map.lookupOrDefault(v));
  for (Value v : extraValues) {
    auto it = perturbedValue.find(v);
    results.push_back(it != perturbedValue.end() ? it->second
                                                 : map.lookupOrDefault(v));
  }
  // A site's layer input that is itself an earlier site's tail is read
  // perturbed, as the forward of the rows computes it: the lookups above
  // already give the perturbed value through `map`.
  func::ReturnOp::create(rb, loc, results);
  return rows;
}

Value train::layerWisePhase(OpBuilder &b, Location loc, Value seed,
                            Value step, int64_t numSites) {
  // splitmix64's finaliser on seed * golden + step (wrapping i64 arithmetic).
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, v));
  };
  Value z = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, seed, c(0x9E3779B97F4A7C15ull)),
      step);
  auto mix = [&](Value x, unsigned shift, uint64_t mul) -> Value {
    Value s = arith::XOrIOp::create(
        b, loc, x, arith::ShRUIOp::create(b, loc, x, c(shift)));
    return mul ? Value(arith::MulIOp::create(b, loc, s, c(mul))) : s;
  };
  z = mix(z, 30, 0xBF58476D1CE4E5B9ull);
  z = mix(z, 27, 0x94D049BB133111EBull);
  z = mix(z, 31, 0);
  Value phase = arith::RemUIOp::create(b, loc, z, c(uint64_t(numSites)));
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), phase);
}

Value train::layerWiseSite(OpBuilder &b, Location loc, Value phase, Value row,
                           int64_t numSites, bool antithetic) {
  Value pair = row;
  if (antithetic)
    pair = arith::DivUIOp::create(b, loc, row,
                                  arith::ConstantIndexOp::create(b, loc, 2));
  return arith::RemUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, pair, phase),
      arith::ConstantIndexOp::create(b, loc, numSites));
}
