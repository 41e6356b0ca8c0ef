//===- TestRuleVjp.cpp - expose estimator rules for execution tests --------===//
//
// Test pass `flops-test-rule-vjp`: for every function that holds an op
// carrying `flops.test.vjp = k`, adds `@<name>_vjp(args..., delta)` that
// returns the estimator rule's gradient with respect to input k of that op,
// given `delta` shaped like the op's result. With `flops.test.vjp_captured`
// instead, the gradient is with respect to the function argument that the
// op's body reads (an embedding table). An execution test compares it with
// the exact vector-Jacobian product (test/Integration/CPU/rules.mlir).
//
//===----------------------------------------------------------------------===//

#include "flops/Dialect/Flops/IR/FlopsInterfaces.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::flops;

namespace {
struct TestRuleVjpPass
    : PassWrapper<TestRuleVjpPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestRuleVjpPass)
  StringRef getArgument() const final { return "flops-test-rule-vjp"; }
  StringRef getDescription() const final {
    return "Add @<fn>_vjp functions that call the estimator rule of the op "
           "marked flops.test.vjp (test only)";
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Definitions only, collected first: the loop erases declarations of
    // the @<fn>_vjp functions it defines (a list holding them would keep
    // dangling handles).
    SmallVector<func::FuncOp> fns;
    for (func::FuncOp fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal())
        fns.push_back(fn);
    for (func::FuncOp fn : fns) {
      Operation *marked = nullptr;
      fn.walk([&](Operation *op) {
        if (op->hasAttr("flops.test.vjp") ||
            op->hasAttr("flops.test.vjp_captured"))
          marked = op;
      });
      if (!marked)
        continue;
      auto rule = dyn_cast<EstimatorRuleOpInterface>(marked);
      auto index = marked->getAttrOfType<IntegerAttr>("flops.test.vjp");
      // The captured function argument, for flops.test.vjp_captured.
      Value captured;
      if (!index) {
        SetVector<Value> above;
        getUsedValuesDefinedAbove(marked->getRegions(), above);
        for (Value v : above)
          if (isa<BlockArgument>(v))
            captured = v;
      }
      if (!rule || (!index && !captured) || marked->getNumResults() != 1) {
        marked->emitError("flops.test.vjp needs an op with an estimator rule "
                          "and one result (flops.test.vjp_captured: a body "
                          "that reads a function argument)");
        return signalPassFailure();
      }
      unsigned k = index ? index.getInt() : 0;
      std::string reason;
      if (failed(captured ? rule.checkCapturedEstimable(captured, reason)
                          : rule.checkEstimable(k, reason))) {
        marked->emitError("not estimable: ") << reason;
        return signalPassFailure();
      }
      // A declaration of the function (so that a test can call it) is
      // replaced by the definition.
      std::string vjpName = (fn.getName() + "_vjp").str();
      if (auto decl = module.lookupSymbol<func::FuncOp>(vjpName)) {
        if (!decl.isExternal()) {
          decl.emitError("@") << vjpName << " is already defined";
          return signalPassFailure();
        }
        decl.erase();
      }
      OpBuilder b(fn);
      b.setInsertionPointAfter(fn);
      SmallVector<Type> args(fn.getArgumentTypes());
      args.push_back(marked->getResult(0).getType());
      auto dps = cast<DestinationStyleOpInterface>(marked);
      Type gradType =
          captured ? captured.getType() : dps.getDpsInputs()[k].getType();
      auto vjp = func::FuncOp::create(b, fn.getLoc(), vjpName,
                                      b.getFunctionType(args, {gradType}));
      Block *body = vjp.addEntryBlock();
      OpBuilder vb = OpBuilder::atBlockBegin(body);
      IRMapping map;
      for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
        map.map(fn.getArgument(i), body->getArgument(i));
      for (Operation &op : fn.getBody().front()) {
        if (&op == marked)
          break;
        vb.clone(op, map);
      }
      SmallVector<Value> inputs;
      for (Value in : dps.getDpsInputs())
        inputs.push_back(map.lookupOrDefault(in));
      FailureOr<Value> g =
          captured ? rule.buildCapturedGradient(vb, marked->getLoc(),
                                                captured,
                                                body->getArguments().back(),
                                                inputs, Value())
                   : rule.buildInputGradient(vb, marked->getLoc(), k,
                                             body->getArguments().back(),
                                             inputs, Value());
      if (failed(g)) {
        marked->emitError("the rule failed to build the gradient");
        return signalPassFailure();
      }
      func::ReturnOp::create(vb, fn.getLoc(), *g);
    }
  }
};
} // namespace

namespace mlir::flops::test {
void registerTestRuleVjpPass() { PassRegistration<TestRuleVjpPass>(); }
} // namespace mlir::flops::test
