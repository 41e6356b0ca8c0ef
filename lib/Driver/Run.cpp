//===- Run.cpp - the inference driver behind flops-run --------------------===//

#include "flops/Driver/Run.h"

#include "flops/Driver/Specialize.h"
#include "flops/Driver/Tensors.h"
#include "flops/Runtime/Init.h"
#include "flops/Runtime/Npy.h"
#include "flops/Runtime/SafeTensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cinttypes>
#include <cstring>

using namespace mlir;
using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

namespace {

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

template <typename T> void printValue(std::FILE *out, T v);
template <> void printValue(std::FILE *out, float v) {
  std::fprintf(out, "%.7g", double(v));
}
template <> void printValue(std::FILE *out, double v) {
  std::fprintf(out, "%.16g", v);
}
template <> void printValue(std::FILE *out, int32_t v) {
  std::fprintf(out, "%" PRId32, v);
}
template <> void printValue(std::FILE *out, int64_t v) {
  std::fprintf(out, "%" PRId64, v);
}

template <typename T>
void printRows(std::FILE *out, const Buffer &b) {
  const T *p = b.as<T>();
  int64_t n = b.numElements();
  int64_t rows = b.shape().size() <= 1 ? 1 : b.shape()[0];
  int64_t per = rows ? n / rows : 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < per; ++k) {
      if (k)
        std::fputc(' ', out);
      printValue(out, p[r * per + k]);
    }
    std::fputc('\n', out);
  }
}

void printBuffer(std::FILE *out, const TensorSpec &spec, const Buffer &b) {
  std::fprintf(out, "%s: %s\n", spec.name.c_str(), spec.str().c_str());
  switch (b.dtype()) {
  case rt::DType::F32:
    return printRows<float>(out, b);
  case rt::DType::F64:
    return printRows<double>(out, b);
  case rt::DType::I32:
    return printRows<int32_t>(out, b);
  case rt::DType::I64:
    return printRows<int64_t>(out, b);
  case rt::DType::U8:
    return;
  }
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

} // namespace

bool mlir::flops::driver::runInference(const RunConfig &cfg,
                                       std::string *error) {
  rt::InitKind initKind;
  if (!rt::parseInitKind(cfg.init, &initKind, error)) {
    *error = "--init: " + *error;
    return false;
  }
  bool toSafeTensors =
      cfg.outputs.size() == 1 && endsWith(cfg.outputs[0], ".safetensors");
  if (cfg.outputs.empty() && !cfg.print) {
    *error = "nothing to do: give --output (or --print)";
    return false;
  }

  Session session;
  OwningOpRef<ModuleOp> module = session.parseFile(cfg.modelPath, error);
  if (!module)
    return false;
  auto fn = module->lookupSymbol<func::FuncOp>(cfg.entry);
  if (!fn || fn.isExternal()) {
    *error = cfg.modelPath + ": no function @" + cfg.entry + " to run";
    return false;
  }

  // Data arguments and their inputs.
  std::vector<unsigned> dataArgs;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (!fn.getArgAttr(i, "flops.param"))
      dataArgs.push_back(i);
  if (cfg.inputs.size() != dataArgs.size()) {
    std::string types;
    for (unsigned i : dataArgs)
      types += (types.empty() ? "" : ", ") +
               typeString(fn.getArgumentTypes()[i]);
    *error = "@" + cfg.entry + " takes " + std::to_string(dataArgs.size()) +
             " data input" + (dataArgs.size() == 1 ? "" : "s") +
             (types.empty() ? "" : " (" + types + ")") + ", got " +
             std::to_string(cfg.inputs.size()) + " --input";
    return false;
  }
  std::vector<rt::Tensor> inputs(dataArgs.size());
  int64_t batch = -1;
  for (size_t k = 0; k < dataArgs.size(); ++k) {
    unsigned i = dataArgs[k];
    const std::string &path = cfg.inputs[k];
    Type t = fn.getArgumentTypes()[i];
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt || tt.getRank() < 1) {
      *error = "@" + cfg.entry + " argument " + std::to_string(i) +
               " has type " + typeString(t) +
               "; flops-run feeds tensors with a batch dimension";
      return false;
    }
    if (!rt::readNpy(path, &inputs[k], error))
      return false;
    rt::Tensor &x = inputs[k];
    if (x.shape.empty()) {
      *error = path + ": a scalar; the input needs a batch dimension (" +
               typeString(t) + ")";
      return false;
    }
    int64_t rows = x.shape[0];
    for (int64_t d = 1; d < tt.getRank(); ++d)
      if (tt.isDynamicDim(d)) {
        *error = "@" + cfg.entry + " argument " + std::to_string(i) + " (" +
                 typeString(t) + ") has a dynamic dimension other than the " +
                 "batch; flops-run does not support it";
        return false;
      }
    if (!tt.isDynamicDim(0) && tt.getDimSize(0) != rows) {
      *error = path + " has " + std::to_string(rows) + " rows but @" +
               cfg.entry + " has a static batch of " +
               std::to_string(tt.getDimSize(0)) + " (argument " +
               std::to_string(i) + ": " + typeString(t) + ")";
      return false;
    }
    if (batch >= 0 && rows != batch) {
      *error = path + " has " + std::to_string(rows) +
               " rows, the first input " + std::to_string(batch);
      return false;
    }
    batch = rows;
    std::vector<int64_t> want(tt.getShape().begin(), tt.getShape().end());
    want[0] = rows;
    if (rowElements(x.shape) != rowElements(want)) {
      *error = path + " has rows of " + rowShape(x.shape) + " (" +
               std::to_string(rowElements(x.shape)) + " values); @" +
               cfg.entry + " expects rows of " + rowShape(want) + " (" +
               std::to_string(rowElements(want)) + " values): argument " +
               std::to_string(i) + " is " + typeString(t);
      return false;
    }
  }

  // Specialise the dynamic batch to the input rows.
  if (!specializeBatch(fn, batch, error))
    return false;

  // Compile.
  CompileOptions copts = cfg.compile;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  std::unique_ptr<Program> prog =
      Program::compile(session, *module, {cfg.entry}, copts, error);
  notesOS.flush();
  if (!notes.empty())
    std::fputs(notes.c_str(), cfg.log);
  if (!prog)
    return false;
  const FunctionSignature &sig = *prog->signature(cfg.entry);
  if (!toSafeTensors && !cfg.outputs.empty() &&
      cfg.outputs.size() != sig.results.size()) {
    *error = "@" + cfg.entry + " returns " +
             std::to_string(sig.results.size()) + " result" +
             (sig.results.size() == 1 ? "" : "s") + "; give one --output " +
             ".npy per result, or a single .safetensors file";
    return false;
  }

  // Arguments.
  rt::SafeTensors file;
  bool haveFile = !cfg.paramsPath.empty();
  if (haveFile && !rt::readSafeTensors(cfg.paramsPath, &file, error))
    return false;
  std::vector<Buffer> argBufs(sig.args.size());
  std::vector<ArgValue> args(sig.args.size());
  uint32_t stream = 0;
  size_t nextInput = 0;
  for (size_t i = 0; i < sig.args.size(); ++i) {
    const TensorSpec &s = sig.args[i];
    if (s.scalar) {
      *error = "@" + cfg.entry + " argument " + std::to_string(i) +
               " is a scalar; flops-run feeds tensors only";
      return false;
    }
    if (!argBufs[i].allocate(s, error, prog->device()))
      return false;
    args[i] = ArgValue::of(argBufs[i]);
    if (s.role == "param") {
      if (!fillParameter(s, haveFile ? &file : nullptr, cfg.paramsPath,
                         initKind, cfg.seed, stream++, &argBufs[i], error))
        return false;
      continue;
    }
    rt::Tensor c;
    const std::string &path = cfg.inputs[nextInput];
    if (!convertTensor(inputs[nextInput++], s.dtype, false, &c, error)) {
      *error = path + ": " + *error;
      return false;
    }
    if (!argBufs[i].copyFrom(c, error))
      return false;
  }
  std::vector<Buffer> resBufs(sig.results.size());
  std::vector<Buffer *> results;
  for (size_t r = 0; r < sig.results.size(); ++r) {
    if (!resBufs[r].allocate(sig.results[r], error, prog->device()))
      return false;
    results.push_back(&resBufs[r]);
  }

  if (!prog->call(cfg.entry, args, results, error))
    return false;

  // Outputs.
  if (toSafeTensors) {
    rt::SafeTensors st;
    st.metadata["format"] = "flops-run";
    st.metadata["model"] = cfg.modelPath;
    for (size_t r = 0; r < resBufs.size(); ++r)
      st.add(sig.results[r].name, resBufs[r].toTensor());
    if (!rt::writeSafeTensors(cfg.outputs[0], st, error))
      return false;
  } else {
    for (size_t r = 0; r < cfg.outputs.size(); ++r)
      if (!rt::writeNpy(cfg.outputs[r], resBufs[r].toTensor(), error))
        return false;
  }
  if (cfg.print)
    for (size_t r = 0; r < resBufs.size(); ++r)
      printBuffer(cfg.out, sig.results[r], resBufs[r]);
  return true;
}
