//===- LiftParams.cpp - frozen weights -> flops.param arguments -----------===//
//
// See include/flops/Driver/LiftParams.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/LiftParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <set>

using namespace mlir;
namespace rt = ::flops::rt;

/// The values of `attr` (f32 or f64) as a runtime tensor.
static bool toTensor(DenseFPElementsAttr attr, rt::Tensor *out,
                     std::string *error) {
  auto type = cast<RankedTensorType>(attr.getType());
  Type elem = type.getElementType();
  rt::DType dtype;
  if (elem.isF32())
    dtype = rt::DType::F32;
  else if (elem.isF64())
    dtype = rt::DType::F64;
  else
    return false;
  if (!rt::makeTensor(dtype, type.getShape().vec(), out, error))
    return false;
  int64_t i = 0;
  for (const APFloat &v : attr.getValues<APFloat>()) {
    if (dtype == rt::DType::F32)
      out->data<float>()[i++] = v.convertToFloat();
    else
      out->data<double>()[i++] = v.convertToDouble();
  }
  return true;
}

bool mlir::flops::driver::liftParams(ModuleOp module,
                                     const LiftParamsOptions &options,
                                     rt::SafeTensors *out, int64_t *count,
                                     std::string *error) {
  *count = 0;
  auto fn = module.lookupSymbol<func::FuncOp>(options.entry);
  if (!fn || fn.isExternal()) {
    *error = "no function @" + options.entry + " with a body";
    return false;
  }
  if (options.minElements < 1) {
    *error = "--min-elements must be >= 1, got " +
             std::to_string(options.minElements);
    return false;
  }
  std::set<std::string> taken;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (auto n = fn.getArgAttrOfType<StringAttr>(i, "flops.name"))
      taken.insert(n.str());
  SmallVector<arith::ConstantOp> lift;
  fn.walk([&](arith::ConstantOp c) {
    auto attr = dyn_cast<DenseFPElementsAttr>(c.getValue());
    auto type = dyn_cast<RankedTensorType>(c.getType());
    if (!attr || !type || !type.hasStaticShape() ||
        type.getNumElements() < options.minElements)
      return;
    if (!type.getElementType().isF32() && !type.getElementType().isF64())
      return;
    // An argument of the entry dominates every use inside it, except
    // inside ops isolated from above (which cannot capture it).
    if (c->getParentWithTrait<OpTrait::IsIsolatedFromAbove>() != fn)
      return;
    lift.push_back(c);
  });
  MLIRContext *ctx = module.getContext();
  for (arith::ConstantOp c : lift) {
    std::string name;
    for (int64_t k = *count;; ++k) {
      name = options.prefix + std::to_string(k);
      if (!taken.count(name))
        break;
    }
    taken.insert(name);
    rt::Tensor t;
    if (!toTensor(cast<DenseFPElementsAttr>(c.getValue()), &t, error)) {
      *error = "constant at " +
               std::string(llvm::formatv("{0}", c.getLoc()).str()) + ": " +
               *error;
      return false;
    }
    out->add(name, std::move(t));
    unsigned idx = fn.getNumArguments();
    NamedAttrList attrs;
    attrs.append("flops.param", UnitAttr::get(ctx));
    attrs.append("flops.name", StringAttr::get(ctx, name));
    if (failed(fn.insertArgument(idx, c.getType(),
                                 attrs.getDictionary(ctx), c.getLoc()))) {
      *error = "cannot add an argument to @" + options.entry;
      return false;
    }
    c.getResult().replaceAllUsesWith(fn.getArgument(idx));
    c.erase();
    ++*count;
  }
  return true;
}
