//===- TrainState.cpp - the step ABI and training state, a step at a time -===//
//
// See TrainState in runtime/include/flops/Runtime/TrainLoop.h. No LLVM or
// MLIR here: this file is linked into the programs of flops-compile.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/TrainLoop.h"

#include "flops/Runtime/Allocators.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace flops::rt;
namespace rt = ::flops::rt;

TrainState::TrainState() = default;
TrainState::~TrainState() = default;

bool TrainState::bind(const FunctionSignature &train,
                      const FunctionSignature &eval, const std::string &tool,
                      const std::string &entry, std::string *error) {
  ts = train;
  es = eval;
  auto one = [&](const FunctionSignature &sig, const char *role,
                 unsigned *idx) {
    return sig.uniqueArgWithRole(role, idx, error);
  };
  if (!one(ts, "lr", &lrIdx) || !one(ts, "step", &stepIdx) ||
      !one(ts, "seed", &seedIdx) || !one(ts, "labels", &labelIdx) ||
      !one(es, "labels", &eLabelIdx) || !one(es, "valid", &eValidIdx))
    return false;
  std::vector<unsigned> inputs = ts.argsWithRole("input"),
                        eInputs = es.argsWithRole("input");
  eParams = es.argsWithRole("param");
  if (inputs.size() != 1 || eInputs.size() != 1) {
    *error = tool + " feeds one data input; @" + entry + " has " +
             std::to_string(inputs.size());
    return false;
  }
  inputIdx = inputs[0];
  eInputIdx = eInputs[0];
  numStateArgs = lrIdx;
  if (ts.results.size() != numStateArgs + 1 ||
      ts.results.back().numElements() < 4) {
    *error = "@train_step does not return its state plus metrics";
    return false;
  }
  for (unsigned i = 0; i < numStateArgs; ++i)
    if (ts.results[i].shape != ts.args[i].shape ||
        ts.results[i].dtype != ts.args[i].dtype) {
      *error = "@train_step result " + std::to_string(i) +
               " does not match its state argument";
      return false;
    }
  params.clear();
  for (unsigned i = 0; i < numStateArgs; ++i)
    if (ts.args[i].role == "param")
      params.push_back(i);
  if (eParams.size() != params.size()) {
    *error = "@eval_step and @train_step disagree on the parameters";
    return false;
  }
  if (inputSpec().shape.empty() ||
      es.args[eInputIdx].shape != inputSpec().shape ||
      es.args[eLabelIdx].shape != labelSpec().shape) {
    *error = "@eval_step and @train_step disagree on the batch";
    return false;
  }
  std::vector<unsigned> pointIdArgs = ts.argsWithRole("point_ids");
  pointIdIdx = pointIdArgs.empty() ? -1 : int(pointIdArgs[0]);
  return true;
}

std::string TrainState::stateKey(unsigned i) const {
  const TensorSpec &s = ts.args[i];
  if (s.role == "param")
    return s.name;
  if (s.role == "allocator_state")
    return "allocator." + s.name;
  return "state." + s.role + "." + s.name;
}

namespace {
/// Exact text of a double (hex float) for checkpoint metadata.
std::string exactText(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}
} // namespace

SafeTensors TrainState::checkpoint(const ResumePoint &at) const {
  SafeTensors st;
  st.metadata["format"] = "flops-train";
  st.metadata["resume"] = "1";
  st.metadata["epoch"] = std::to_string(at.epoch);
  st.metadata["batch"] = std::to_string(at.batch);
  st.metadata["step"] = std::to_string(at.step);
  st.metadata["train_rows"] = std::to_string(at.trainRows);
  std::string sums;
  for (double v : at.sums)
    sums += (sums.empty() ? "" : " ") + exactText(v);
  st.metadata["epoch_sums"] = sums;
  st.metadata["first"] = exactText(at.first[0]) + " " + exactText(at.first[1]);
  st.metadata["seed"] = std::to_string(at.seed);
  st.metadata["model"] = at.model;
  st.metadata["forward_train"] = at.forwardTrain;
  st.metadata["pipeline"] = at.pipeline;
  // The whole training state: parameters (by name, what --params reads),
  // optimizer moments, log sigma, allocator state.
  for (unsigned i = 0; i < numState(); ++i)
    st.add(stateKey(i), state(i).toTensor());
  return st;
}

int64_t TrainState::budget(int64_t queries) const {
  if (auto it = ts.attrs.find("flops.budget"); it != ts.attrs.end())
    return std::strtoll(it->second.c_str(), nullptr, 10);
  return batchSize() * queries;
}

bool TrainState::init(std::shared_ptr<MemorySpace> mem, const SafeTensors *file,
                      const std::string &fileName, InitKind initKind,
                      uint64_t seed, double sigma, int64_t queries,
                      std::string *error) {
  memory = std::move(mem);
  cur = 0;
  if (!pingPong.allocate(ts, numStateArgs, error, memory,
                         stepUpdatesInPlace(ts)))
    return false;
  if (!metricsBuf.allocate(ts.results.back(), error, memory) ||
      !input.allocate(inputSpec(), error, memory) ||
      !labels.allocate(labelSpec(), error, memory) ||
      !eInput.allocate(es.args[eInputIdx], error, memory) ||
      !eLabels.allocate(es.args[eLabelIdx], error, memory) ||
      !eOut.allocate(es.results[0], error, memory))
    return false;
  if (pointIdIdx >= 0 &&
      !pointIds.allocate(ts.args[unsigned(pointIdIdx)], error, memory))
    return false;

  std::vector<Buffer> &state0 = pingPong.sets[0];
  double logSigma0 = std::log(sigma);
  if (auto it = ts.attrs.find("flops.log_sigma_init"); it != ts.attrs.end())
    logSigma0 = std::strtod(it->second.c_str(), nullptr);
  for (unsigned k = 0; k < params.size(); ++k) {
    unsigned i = params[k];
    if (!fillParameter(ts.args[i], file, fileName, initKind, seed, k,
                       &state0[i], error))
      return false;
  }
  for (unsigned i = 0; i < numStateArgs; ++i)
    if (ts.args[i].role == "log_sigma") {
      if (ts.args[i].dtype == rt::DType::F32) {
        float *p = state0[i].as<float>();
        for (int64_t k = 0, n = state0[i].numElements(); k < n; ++k)
          p[k] = float(logSigma0);
      } else {
        double *p = state0[i].as<double>();
        for (int64_t k = 0, n = state0[i].numElements(); k < n; ++k)
          p[k] = logSigma0;
      }
    }
  // The Gaussian allocator starts uniform (w = 0, c = N/B, s = h = 1).
  int64_t rows = budget(queries);
  for (unsigned i = 0; i < numStateArgs; ++i)
    if (ts.args[i].role == "allocator_state") {
      if (ts.args[i].dtype != rt::DType::F64 ||
          ts.args[i].numElements() != rt::kGaussianAllocStateSize ||
          !rt::gaussianAllocInit(rows, batchSize(), state0[i].as<double>(),
                                 error)) {
        *error = "@train_step: bad allocator_state argument " +
                 ts.args[i].str() + (error->empty() ? "" : ": " + *error);
        return false;
      }
    }

  // Argument lists for both ping-pong directions (no per-step allocation).
  for (int s = 0; s < 2; ++s) {
    std::vector<ArgValue> &args = pingPong.args[s];
    args[inputIdx] = ArgValue::of(input);
    args[labelIdx] = ArgValue::of(labels);
    args[seedIdx] = ArgValue::integer(int64_t(seed));
    if (pointIdIdx >= 0)
      args[unsigned(pointIdIdx)] = ArgValue::of(pointIds);
    pingPong.results[s].push_back(&metricsBuf);
  }
  eArgs.assign(es.args.size(), ArgValue());
  return true;
}

namespace {

/// The argument for batch data `data` of `spec`: the own buffer `own` when
/// it is that buffer's data or when the step runs in a device's memory
/// (copied in), else a borrowed view.
ArgValue batchArg(const TensorSpec &spec, const void *data, Buffer &own,
                  Buffer &view, bool device) {
  if (data == own.data())
    return ArgValue::of(own);
  if (device) {
    std::memcpy(own.data(), data, own.numBytes());
    return ArgValue::of(own);
  }
  view.wrap(spec, const_cast<void *>(data));
  return ArgValue::of(view);
}

} // namespace

bool TrainState::step(StepProgram &program, const void *x, const void *y,
                      const int32_t *ids, double lr, int64_t stepNumber,
                      std::string *error) {
  std::vector<ArgValue> &args = pingPong.args[cur];
  bool device = memory != nullptr;
  args[inputIdx] = batchArg(inputSpec(), x, input, xView, device);
  args[labelIdx] = batchArg(labelSpec(), y, labels, yView, device);
  if (pointIdIdx >= 0) {
    if (!ids) {
      *error = "the allocator needs the training-row index of each batch "
               "row (point ids)";
      return false;
    }
    if (ids != pointIds.data())
      std::memcpy(pointIds.data(), ids, pointIds.numBytes());
  }
  args[lrIdx] = ArgValue::real(lr);
  args[stepIdx] = ArgValue::integer(stepNumber);
  // Descriptor word 1 is the aligned data pointer the code reads.
  lastInput = uintptr_t(
      static_cast<const int64_t *>(args[inputIdx].buffer->descriptor())[1]);
  if (!program.call("train_step", args, pingPong.results[cur], error))
    return false;
  cur = pingPong.next(cur);
  return true;
}

bool TrainState::evaluate(StepProgram &program, const void *x, const void *y,
                          int64_t valid, double out[2], std::string *error) {
  if (valid < 0 || valid > batchSize()) {
    *error = "valid rows must be between 0 and the batch size " +
             std::to_string(batchSize()) + ", got " + std::to_string(valid);
    return false;
  }
  bool device = memory != nullptr;
  for (unsigned k = 0; k < params.size(); ++k)
    eArgs[eParams[k]] = ArgValue::of(state(params[k]));
  eArgs[eInputIdx] = batchArg(es.args[eInputIdx], x, eInput, xView, device);
  eArgs[eLabelIdx] = batchArg(es.args[eLabelIdx], y, eLabels, yView, device);
  eArgs[eValidIdx] = ArgValue::integer(valid);
  if (!program.call("eval_step", eArgs, std::vector<Buffer *>{&eOut}, error))
    return false;
  const float *m = eOut.as<float>();
  out[0] = m[0];
  out[1] = m[1];
  return true;
}
