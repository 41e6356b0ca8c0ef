//===- flops-onnx-conformance.cpp - ONNX backend node tests ---------------===//
//
// flops-onnx-conformance --data DIR [--xfail FILE] [--summary] [TEST...]:
// for every node test in DIR (default: Debian's libonnx-testdata) whose
// single node's op type the importer supports, imports model.onnx, compiles
// it with the driver (flops-lower-to-cpu, the reference pipeline as
// fallback), feeds test_data_set_0/input_*.pb and compares with output_*.pb
// like the ONNX backend tests (|y - e| <= atol + rtol |e|, rtol 1e-3,
// atol 1e-7; NaN matches NaN; integers and bools exactly).
//
// Models are compiled in batches (one JIT per batch; a batch that fails to
// compile is retried model by model). Each test ends PASS, FAIL, XFAIL
// (listed in the xfail file with its reason) or XPASS (listed but passes).
// The exit status is 1 when any test FAILs or XPASSes.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Program.h"
#include "flops/Import/Onnx.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace llvm;
using namespace mlir;
namespace driver = mlir::flops::driver;
namespace imp = mlir::flops::onnx_import;
namespace rt = ::flops::rt;

static cl::OptionCategory cat("flops-onnx-conformance options");
static cl::opt<std::string>
    dataDir("data", cl::desc("Directory of node tests"),
            cl::init("/usr/share/libonnx-testdata/data/node"), cl::cat(cat));
static cl::opt<std::string> xfailPath(
    "xfail", cl::desc("Expected failures: lines `test_name reason...`"),
    cl::cat(cat));
static cl::list<std::string> only(cl::Positional,
                                  cl::desc("[test names (default: all)]"),
                                  cl::cat(cat));
static cl::opt<int> batchSize("batch", cl::desc("Models per JIT module"),
                              cl::init(64), cl::cat(cat));
static cl::opt<bool> verbose("v", cl::desc("Print every test's result"),
                             cl::init(false), cl::cat(cat));
static cl::opt<bool> markdown("markdown",
                              cl::desc("Print the per-op table as markdown"),
                              cl::init(false), cl::cat(cat));
static cl::opt<bool> bindInt64(
    "bind-int64-inputs",
    cl::desc("Bind int64 graph inputs (shapes, axes, indices) to their test "
             "values as constants (default true)"),
    cl::init(true), cl::cat(cat));
static cl::opt<double> relTol("rtol", cl::init(1e-3), cl::cat(cat));
static cl::opt<double> absTol("atol", cl::init(1e-7), cl::cat(cat));

/// The op types the importer converts (docs/ONNX.md).
static const std::set<std::string> kSupported = {
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Relu", "LeakyRelu", "Sigmoid",
    "Tanh", "Erf", "Gelu", "Sqrt", "Pow", "Exp", "Log", "Floor", "Ceil",
    "Reciprocal", "Clip", "Where", "Cast", "Identity", "Dropout", "MatMul",
    "Gemm", "Conv", "ConvTranspose", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
    "ReduceMax", "Softmax", "LogSoftmax", "BatchNormalization",
    "LayerNormalization", "Constant", "ConstantOfShape", "Shape", "Reshape",
    "Flatten", "Transpose", "Concat", "Slice", "Split", "Gather", "Unsqueeze",
    "Squeeze", "Expand", "Pad", "HardSigmoid", "HardSwish", "GRU", "LSTM"};

namespace {
struct Test {
  std::string name, dir, op, status, reason;
  std::vector<rt::Tensor> inputs, outputs;
  OwningOpRef<ModuleOp> module;
};

bool loadPbs(const std::string &dir, const char *prefix,
             std::vector<rt::Tensor> *out, std::string *error) {
  for (int i = 0;; ++i) {
    std::string p = dir + "/test_data_set_0/" + prefix + std::to_string(i) +
                    ".pb";
    if (!sys::fs::exists(p))
      return true;
    rt::Tensor t;
    if (!imp::readTensorProtoFile(p, &t, nullptr, error))
      return false;
    out->push_back(std::move(t));
  }
}

std::string compare(const rt::Tensor &got, const rt::Tensor &want,
                    unsigned k) {
  auto where = [&](int64_t i) {
    return "output " + std::to_string(k) + " element " + std::to_string(i);
  };
  if (got.shape != want.shape)
    return "output " + std::to_string(k) + " has shape " +
           rt::shapeToString(got.shape) + ", expected " +
           rt::shapeToString(want.shape);
  if (got.dtype != want.dtype)
    return "output " + std::to_string(k) + " is " + rt::dtypeName(got.dtype) +
           ", expected " + rt::dtypeName(want.dtype);
  int64_t n = want.numElements();
  for (int64_t i = 0; i < n; ++i) {
    double g, w;
    switch (want.dtype) {
    case rt::DType::F32: g = got.data<float>()[i]; w = want.data<float>()[i]; break;
    case rt::DType::F64: g = got.data<double>()[i]; w = want.data<double>()[i]; break;
    case rt::DType::I32: g = got.data<int32_t>()[i]; w = want.data<int32_t>()[i]; break;
    case rt::DType::I64: g = (double)got.data<int64_t>()[i]; w = (double)want.data<int64_t>()[i]; break;
    default: g = got.bytes[i]; w = want.bytes[i]; break;
    }
    if (std::isnan(w) && std::isnan(g))
      continue;
    bool isFloat = want.dtype == rt::DType::F32 || want.dtype == rt::DType::F64;
    bool ok = isFloat ? (std::isinf(w) ? g == w
                                       : std::fabs(g - w) <= absTol + relTol * std::fabs(w))
                      : g == w;
    if (!ok) {
      std::ostringstream os;
      os << where(i) << ": got " << g << ", expected " << w;
      return os.str();
    }
  }
  return "";
}

/// Runs the tests whose modules are in `batch` (compiled together).
void runBatch(driver::Session &session, std::vector<Test *> &batch) {
  if (batch.empty())
    return;
  OwningOpRef<ModuleOp> combined(ModuleOp::create(UnknownLoc::get(&session.context())));
  std::vector<std::string> entries;
  for (Test *t : batch) {
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>(t->module->getOperation()->clone()));
    auto fn = copy->lookupSymbol<func::FuncOp>("forward");
    std::string name = "t_" + t->name;
    fn.setSymName(name);
    fn->remove();
    combined->getBody()->push_back(fn);
    entries.push_back(name);
  }
  driver::CompileOptions opts;
  opts.pipeline = driver::PipelineKind::Auto;
  opts.numThreads = 1;
  opts.optLevel = 1;
  std::string error;
  auto program = driver::Program::compile(session, *combined, entries, opts,
                                          &error);
  if (!program) {
    std::string diags = session.takeDiagnostics();
    if (batch.size() > 1) {
      for (Test *t : batch) {
        std::vector<Test *> one{t};
        runBatch(session, one);
      }
      return;
    }
    batch[0]->status = "FAIL";
    batch[0]->reason = "compile: " + error + (diags.empty() ? "" : "\n" + diags);
    return;
  }
  for (Test *t : batch) {
    const driver::FunctionSignature *sig = program->signature("t_" + t->name);
    std::vector<driver::Buffer> ins(sig->args.size()), outs(sig->results.size());
    std::vector<driver::ArgValue> args;
    std::vector<driver::Buffer *> res;
    std::string err;
    bool ok = sig->args.size() == t->inputs.size() &&
              sig->results.size() == t->outputs.size();
    if (!ok)
      err = "argument/result counts differ from the test data";
    for (size_t i = 0; ok && i < ins.size(); ++i) {
      ok = ins[i].allocate(sig->args[i], &err) &&
           ins[i].copyFrom(t->inputs[i], &err);
      args.push_back(driver::ArgValue::of(ins[i]));
    }
    for (size_t i = 0; ok && i < outs.size(); ++i) {
      ok = outs[i].allocate(sig->results[i], &err);
      res.push_back(&outs[i]);
    }
    if (ok)
      ok = program->call("t_" + t->name, args, res, &err);
    if (!ok) {
      t->status = "FAIL";
      t->reason = "run: " + err;
      continue;
    }
    std::string mismatch;
    for (size_t i = 0; i < outs.size() && mismatch.empty(); ++i)
      mismatch = compare(outs[i].toTensor(), t->outputs[i], i);
    t->status = mismatch.empty() ? "PASS" : "FAIL";
    t->reason = mismatch;
  }
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "ONNX node conformance tests\n");
  auto start = std::chrono::steady_clock::now();

  std::map<std::string, std::string> xfail;
  if (!xfailPath.empty()) {
    std::ifstream in(xfailPath);
    if (!in) {
      errs() << "flops-onnx-conformance: error: cannot open " << xfailPath << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#')
        continue;
      std::istringstream ls(line);
      std::string name, reason;
      ls >> name;
      std::getline(ls, reason);
      reason.erase(0, reason.find_first_not_of(" \t"));
      if (reason.empty()) {
        errs() << "flops-onnx-conformance: error: xfail entry " << name
               << " states no reason\n";
        return 2;
      }
      xfail[name] = reason;
    }
  }

  std::vector<std::string> names;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dataDir, ec), e; it != e && !ec;
       it.increment(ec))
    names.push_back(sys::path::filename(it->path()).str());
  if (ec) {
    errs() << "flops-onnx-conformance: error: cannot list " << dataDir << "\n";
    return 2;
  }
  std::sort(names.begin(), names.end());
  std::set<std::string> wanted(only.begin(), only.end());
  // Tests named on the command line that do not exist or cannot run are
  // errors: a run that checks nothing must not pass.
  for (const std::string &w : wanted)
    if (!std::binary_search(names.begin(), names.end(), w)) {
      errs() << "flops-onnx-conformance: error: no test '" << w << "' in "
             << dataDir << "\n";
      return 2;
    }
  std::map<std::string, std::string> notRun;

  driver::Session session;
  std::vector<std::unique_ptr<Test>> tests;
  std::map<std::string, int> otherOps;
  int expanded = 0;
  for (const std::string &name : names) {
    if (!wanted.empty() && !wanted.count(name))
      continue;
    std::string dir = dataDir + "/" + name;
    std::ifstream in(dir + "/model.onnx", std::ios::binary);
    if (!in) {
      notRun[name] = "no readable model.onnx";
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    onnx::ModelProto model;
    if (!model.ParseFromString(ss.str())) {
      notRun[name] = "model.onnx does not parse";
      continue;
    }
    if (model.graph().node_size() != 1) {
      ++expanded; // function-expanded variants test other ops' bodies
      notRun[name] = "a multi-node (function-expanded) test";
      continue;
    }
    std::string op = model.graph().node(0).op_type();
    if (!kSupported.count(op)) {
      otherOps[op]++;
      notRun[name] = "op " + op + " is not supported by the importer";
      continue;
    }
    auto t = std::make_unique<Test>();
    t->name = name;
    t->dir = dir;
    t->op = op;
    std::string error;
    imp::ImportResult result;
    imp::ImportOptions opts;
    std::vector<rt::Tensor> inputs;
    if (!loadPbs(dir, "input_", &inputs, &error) ||
        !loadPbs(dir, "output_", &t->outputs, &error)) {
      t->status = "FAIL";
      t->reason = "test data: " + error;
      tests.push_back(std::move(t));
      continue;
    }
    // int64 graph inputs (shapes, axes, starts/ends, split sizes, indices)
    // are bound as constants: the importer compiles static shapes.
    std::vector<std::string> dataNames;
    std::set<std::string> inits;
    for (const auto &i : model.graph().initializer()) inits.insert(i.name());
    for (const auto &in : model.graph().input())
      if (!inits.count(in.name())) dataNames.push_back(in.name());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i < dataNames.size() && bindInt64 &&
          inputs[i].dtype == rt::DType::I64)
        opts.constantInputs[dataNames[i]] = inputs[i];
      else
        t->inputs.push_back(inputs[i]);
    }
    if (!imp::importOnnxBytes(session.context(), ss.str(), name, opts,
                              &result, &error)) {
      t->status = "FAIL";
      t->reason = "import: " + error;
    } else {
      t->module = std::move(result.module);
    }
    tests.push_back(std::move(t));
  }

  std::vector<Test *> batch;
  for (auto &t : tests) {
    if (!t->status.empty())
      continue;
    batch.push_back(t.get());
    if ((int)batch.size() == batchSize) {
      runBatch(session, batch);
      batch.clear();
    }
  }
  runBatch(session, batch);

  // Classify and report.
  struct Counts { int pass = 0, fail = 0, xfail = 0, xpass = 0; };
  std::map<std::string, Counts> perOp;
  int failures = 0;
  for (auto &t : tests) {
    bool expected = xfail.count(t->name);
    Counts &c = perOp[t->op];
    std::string s = t->status;
    if (s == "PASS" && expected) { s = "XPASS"; c.xpass++; ++failures; }
    else if (s == "PASS") c.pass++;
    else if (expected) { s = "XFAIL"; c.xfail++; }
    else { c.fail++; ++failures; }
    if (verbose || s == "FAIL" || s == "XPASS")
      outs() << s << ": " << t->name << " (" << t->op << ")"
             << (s == "XFAIL" ? ": " + xfail[t->name]
                 : t->reason.empty() ? std::string() : ": " + t->reason)
             << "\n";
  }
  for (auto &[name, reason] : xfail) {
    bool found = false;
    for (auto &t : tests) found |= t->name == name;
    if (!found && wanted.empty()) {
      outs() << "STALE: xfail entry " << name << " matches no supported test\n";
      ++failures;
    }
  }
  for (const std::string &w : wanted)
    if (notRun.count(w)) {
      outs() << "NOT RUN " << w << ": " << notRun[w] << "\n";
      ++failures;
    }
  int np = 0, nf = 0, nx = 0, nxp = 0;
  if (markdown)
    outs() << "| op | tests | pass | expected failures | unexpected failures |\n"
              "| --- | ---: | ---: | ---: | ---: |\n";
  for (auto &[op, c] : perOp) {
    np += c.pass; nf += c.fail; nx += c.xfail; nxp += c.xpass;
    if (markdown)
      outs() << "| " << op << " | " << (c.pass + c.fail + c.xfail + c.xpass)
             << " | " << c.pass << " | " << c.xfail << " | "
             << (c.fail + c.xpass) << " |\n";
    else
      outs() << "op " << op << ": " << c.pass << " passed, " << c.xfail
             << " expected failures, " << c.fail << " failed"
             << (c.xpass ? ", " + std::to_string(c.xpass) + " unexpectedly passed" : "")
             << "\n";
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outs() << "total: " << tests.size() << " tests of supported ops: " << np
         << " passed, " << nx << " expected failures, " << nf
         << " failed, " << nxp << " unexpectedly passed (" << (int)secs
         << " s)\n";
  int otherCount = 0;
  for (auto &[op, n] : otherOps) otherCount += n;
  outs() << "not run: " << otherCount << " single-node tests of "
         << otherOps.size() << " unsupported op types, " << expanded
         << " multi-node (function-expanded) tests\n";
  return failures ? 1 : 0;
}
