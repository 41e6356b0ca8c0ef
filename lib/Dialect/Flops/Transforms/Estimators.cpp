//===- Estimators.cpp - the table of gradient estimators ------------------===//
//
// A new estimator is one file implementing train::Estimator and one row here.
//
//===----------------------------------------------------------------------===//

#include "TrainStep.h"

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::train;

namespace {
struct EstimatorEntry {
  const char *name;
  std::unique_ptr<Estimator> (*create)();
};
const EstimatorEntry kEstimators[] = {
    {"lr", createLREstimator},
    {"spsa", createSPSAEstimator},
    {"es", createESEstimator},
};
} // namespace

std::unique_ptr<Estimator> train::createEstimator(StringRef name) {
  for (const EstimatorEntry &e : kEstimators)
    if (name == e.name)
      return e.create();
  return nullptr;
}

StringRef train::estimatorNames() { return "lr, spsa, es"; }
