//===- CompileTrainer.cpp - flops-compile: standalone trainers ------------===//
//
// See include/flops/Driver/CompileTrainer.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileTrainer.h"

#include "flops/Driver/Specialize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cstring>
#include <cstdio>
#include <set>

using namespace mlir;
using namespace mlir::flops::driver;

namespace {

/// %a: exact text of a double.
std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

/// Whether the step options depend on the training row count: the Neyman
/// allocator's table, the Bernoulli allocator's default switch step.
bool rowsMatter(const TrainConfig &cfg) {
  return cfg.step.allocator == "neyman" ||
         (cfg.step.allocator == "bernoulli" && cfg.step.bernoulliSwitchStep < 0);
}

/// The text runtime/compiled/Main.cpp reads (`key value` lines, then the
/// signatures).
std::string manifest(const TrainConfig &cfg, const TrainStepBuild &step,
                     const LoweredModule &lowered, const AotTarget &target) {
  const ::flops::rt::StepFacts &f = step.facts;
  std::string model = cfg.modelPath;
  for (char &c : model)
    if (c == '\n')
      c = ' ';
  std::string s = "format flops-compile-1\n";
  s += "model " + model + "\n";
  s += "pass " + f.passText + "\n";
  s += "pipeline " + lowered.pipelineText + "\n";
  s += "threads " + std::to_string(lowered.threads) + "\n";
  s += "out-params " + std::string(lowered.outParams ? "1" : "0") + "\n";
  s += "device " + std::string(lowered.kind == PipelineKind::CUDA ? "cuda"
                                                                  : "cpu") +
       "\n";
  s += "target " + target.cpu +
       (target.features.empty() ? "" : " " + target.features) + "\n";
  s += "entry " + f.entry + "\n";
  s += "loss " + f.loss + "\n";
  s += "allocator " + f.allocator + "\n";
  s += "queries " + std::to_string(f.queries) + "\n";
  s += "sigma " + exact(f.sigma) + "\n";
  s += "classes " + std::to_string(f.numClasses) + "\n";
  s += "train-rows " + std::to_string(step.data.train.size()) + "\n";
  s += "rows-matter " + std::string(rowsMatter(cfg) ? "1" : "0") + "\n";
  s += "signatures\n";
  for (const FunctionSignature &sig : lowered.signatures)
    s += ::flops::rt::printSignature(sig);
  return s;
}

/// A C identifier from `name` (other characters become '_').
std::string cIdent(const std::string &name) {
  std::string s;
  for (char c : name)
    s += std::isalnum((unsigned char)c) ? c : '_';
  return s;
}

const char *cScalarType(::flops::rt::DType t) {
  switch (t) {
  case ::flops::rt::DType::F32:
    return "float";
  case ::flops::rt::DType::F64:
    return "double";
  case ::flops::rt::DType::I32:
    return "int32_t";
  case ::flops::rt::DType::U8:
    return "uint8_t";
  default:
    return "int64_t";
  }
}

int dtypeCode(::flops::rt::DType t) {
  switch (t) {
  case ::flops::rt::DType::F32:
    return 0;
  case ::flops::rt::DType::F64:
    return 1;
  case ::flops::rt::DType::I32:
    return 2;
  case ::flops::rt::DType::I64:
    return 3;
  case ::flops::rt::DType::U8:
    return 4;
  }
  return -1;
}

/// `flops_<entry>_{arg,result}_{rank,dtype,shape,role,name}`: each
/// argument's and result's rank (-1: a scalar passed by value), element
/// type (FLOPS_DTYPE_*), shape (padded with zeros), role and name, for
/// generic callers.
std::string layoutTables(const FunctionSignature &sig) {
  std::string h, id = cIdent(sig.name);
  auto tables = [&](const char *kind, const std::vector<TensorSpec> &specs) {
    if (specs.empty())
      return;
    size_t n = specs.size(), maxRank = 1;
    for (const TensorSpec &t : specs)
      maxRank = std::max(maxRank, t.shape.size());
    std::string pre = "static const ";
    std::string name = "flops_" + id + "_" + kind;
    std::string rank, dtype, shape, role, tname;
    auto quote = [](const std::string &v) {
      std::string q = "\"";
      for (char c : v)
        q += (c == '"' || c == '\\') ? std::string("\\") + c
             : (unsigned char)c < 0x20 ? std::string("_")
                                       : std::string(1, c);
      return q + "\"";
    };
    for (size_t i = 0; i < n; ++i) {
      const TensorSpec &t = specs[i];
      std::string sep = i ? ", " : "";
      role += sep + quote(t.role);
      tname += sep + quote(t.name);
      rank += sep + std::to_string(t.scalar ? -1 : int(t.shape.size()));
      dtype += sep + std::to_string(dtypeCode(t.dtype));
      shape += sep + "{";
      for (size_t d = 0; d < maxRank; ++d)
        shape += (d ? ", " : "") +
                 std::to_string(d < t.shape.size() ? t.shape[d] : 0);
      shape += "}";
    }
    std::string count = "[" + std::to_string(n) + "]";
    h += pre + "int32_t " + name + "_rank" + count +
         " FLOPS_MAYBE_UNUSED = {" + rank + "};\n";
    h += pre + "int32_t " + name + "_dtype" + count +
         " FLOPS_MAYBE_UNUSED = {" + dtype + "};\n";
    h += pre + "int64_t " + name + "_shape" + count + "[" +
         std::to_string(maxRank) + "] FLOPS_MAYBE_UNUSED = {" + shape +
         "};\n";
    h += pre + "char *const " + name + "_role" + count +
         " FLOPS_MAYBE_UNUSED = {" + role + "};\n";
    h += pre + "char *const " + name + "_name" + count +
         " FLOPS_MAYBE_UNUSED = {" + tname + "};\n";
  };
  tables("arg", sig.args);
  tables("result", sig.results);
  return h;
}

/// The C header of the entries: memref descriptor types, the typed
/// `_mlir_ciface_<entry>` and packed `_flops_packed_<entry>` prototypes, and
/// each argument's and result's role, name and type.
std::string cHeader(const TrainConfig &cfg, const TrainStepBuild &step,
                    const LoweredModule &lowered, const AotTarget &target) {
  std::string guard = "FLOPS_COMPILED_STEP_H";
  std::string h;
  h += "/* Generated by flops-compile from " + cfg.modelPath + " (target " +
       target.cpu + ").\n";
  h += " * Step: " + step.facts.passText + "\n";
  h += " * Pipeline: " + lowered.pipelineText + "\n";
  if (rowsMatter(cfg))
    h += " * Compiled for " + std::to_string(step.data.train.size()) +
         " training rows: the " + cfg.step.allocator +
         " allocator's options depend on the\n * row count (point ids below "
         "it).\n";
  h += " *\n"
       " * Tensors are passed as pointers to memref descriptors of dense,\n"
       " * row-major buffers owned by the caller: allocated = aligned = the\n"
       " * data, offset 0, sizes = the shape, strides = row-major strides.\n"
       " * Scalars are passed by value. " +
       std::string(lowered.outParams
                       ? "Results are written into caller-provided buffers "
                         "(one descriptor pointer per result, after the "
                         "arguments); they must not alias the arguments."
                       : "Results are returned through a struct of "
                         "descriptors (first parameter); the caller frees "
                         "their allocated pointers.") +
       "\n * Link with libFlopsRuntimeStatic.a and libFlopsCompiledSupport.a" +
       std::string(lowered.kind == PipelineKind::CUDA
                       ? "\n * and libFlopsCudaRuntimeStatic.a (CUDA code: "
                         "call _flops_global_ctors\n * first to load its "
                         "kernels; buffers in CUDA managed memory)"
                       : "") +
       "\n * (or use the --emit=shared library) and -lstdc++ -lm. */\n";
  h += "#ifndef " + guard + "\n#define " + guard + "\n\n#include <stdint.h>\n\n"
       "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += "/* Element types of the layout tables below. */\n"
       "enum { FLOPS_DTYPE_F32 = 0, FLOPS_DTYPE_F64 = 1, FLOPS_DTYPE_I32 = 2, "
       "FLOPS_DTYPE_I64 = 3, FLOPS_DTYPE_U8 = 4 };\n"
       "#if defined(__GNUC__)\n#define FLOPS_MAYBE_UNUSED "
       "__attribute__((unused))\n#else\n#define FLOPS_MAYBE_UNUSED\n#endif\n\n";
  std::set<size_t> ranks;
  for (const FunctionSignature &sig : lowered.signatures) {
    for (const TensorSpec &t : sig.args)
      if (!t.scalar)
        ranks.insert(t.shape.size());
    for (const TensorSpec &t : sig.results)
      ranks.insert(t.shape.size());
  }
  for (size_t r : ranks) {
    std::string n = "flops_memref_" + std::to_string(r) + "d";
    h += "typedef struct " + n + " {\n  void *allocated;\n  void *aligned;\n"
         "  int64_t offset;\n";
    if (r)
      h += "  int64_t sizes[" + std::to_string(r) + "];\n  int64_t strides[" +
           std::to_string(r) + "];\n";
    h += "} " + n + ";\n\n";
  }
  for (const FunctionSignature &sig : lowered.signatures) {
    std::string up = sig.name;
    for (char &c : up)
      c = char(std::toupper((unsigned char)c));
    h += "/* @" + sig.name + " */\n";
    h += "enum { FLOPS_" + up + "_NUM_ARGS = " +
         std::to_string(sig.args.size()) + ", FLOPS_" + up +
         "_NUM_RESULTS = " + std::to_string(sig.results.size()) + " };\n";
    std::vector<std::string> params;
    auto describe = [&](const char *kind, size_t i, const TensorSpec &t) {
      h += " *   " + std::string(kind) + " " + std::to_string(i) + ": " +
           t.role + " '" + t.name + "' " + t.str() + "\n";
    };
    h += "/* Arguments and results (role, name, type):\n";
    for (size_t i = 0; i < sig.args.size(); ++i)
      describe("argument", i, sig.args[i]);
    for (size_t i = 0; i < sig.results.size(); ++i)
      describe("result", i, sig.results[i]);
    h += " */\n";
    for (auto [k, v] : sig.attrs)
      h += "/* attribute " + k + " = " + v + " */\n";
    h += layoutTables(sig);
    if (!lowered.outParams && !sig.results.empty())
      params.push_back("void *results");
    for (size_t i = 0; i < sig.args.size(); ++i) {
      const TensorSpec &t = sig.args[i];
      std::string name = "a" + std::to_string(i) + "_" + cIdent(t.name);
      params.push_back(t.scalar ? std::string(cScalarType(t.dtype)) + " " + name
                                : "flops_memref_" +
                                      std::to_string(t.shape.size()) + "d *" +
                                      name);
    }
    if (lowered.outParams)
      for (size_t i = 0; i < sig.results.size(); ++i)
        params.push_back("flops_memref_" +
                         std::to_string(sig.results[i].shape.size()) + "d *r" +
                         std::to_string(i) + "_" +
                         cIdent(sig.results[i].name));
    h += "void _mlir_ciface_" + sig.name + "(";
    for (size_t i = 0; i < params.size(); ++i)
      h += (i ? ",\n    " : "") + params[i];
    h += ");\n";
    h += "/* args[i] points to the i-th parameter above (for a descriptor: to "
         "the pointer). */\nvoid _flops_packed_" +
         sig.name + "(void **args);\n\n";
  }
  h += "/* The step's description (what a flops-compile program reads). */\n"
       "extern const char _flops_manifest[];\n\n";
  h += "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  return h;
}

/// Removes a file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

bool writeFile(llvm::StringRef path, llvm::StringRef bytes,
               std::string *error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    *error = "cannot write " + path.str() + ": " + ec.message();
    return false;
  }
  os << bytes;
  os.close();
  if (os.has_error()) {
    *error = "cannot write " + path.str() + ": " + os.error().message();
    os.clear_error();
    return false;
  }
  return true;
}

/// Links `object` with the LLVM-free libraries into the program `out`.
bool linkProgram(const CompileTrainerOptions &o, llvm::StringRef object,
                 int64_t threads, bool shared, bool cuda, std::string *error) {
  auto linker = llvm::sys::findProgramByName(o.linker);
  if (!linker) {
    *error = "--linker: cannot find '" + o.linker + "' on PATH";
    return false;
  }
  std::vector<std::string> args = {*linker, "-o", o.output, object.str()};
  if (shared)
    args.push_back("-shared");
#ifdef FLOPS_SANITIZE_LINK_FLAGS
  // This flops-compile's static libraries are sanitizer-instrumented.
  llvm::SmallVector<llvm::StringRef> sanitizeFlags;
  llvm::StringRef(FLOPS_SANITIZE_LINK_FLAGS)
      .split(sanitizeFlags, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef f : sanitizeFlags)
    args.push_back(f.str());
#endif
  std::vector<const char *> libs = {"libFlopsCompiledSupport.a",
                                    "libFlopsRuntimeStatic.a"};
  if (!shared)
    libs = {"libFlopsCompiledMain.a", "libFlopsCompiledSupport.a",
            "libFlopsTrainLoop.a", "libFlopsIOStatic.a",
            "libFlopsRuntimeStatic.a"};
  if (cuda)
    libs.push_back("libFlopsCudaRuntimeStatic.a");
  args.push_back("-Wl,--start-group");
  for (const char *lib : libs) {
    llvm::SmallString<256> p(o.libDir);
    llvm::sys::path::append(p, lib);
    if (!llvm::sys::fs::exists(p)) {
      *error = "cannot find " + std::string(p) +
               " (flops-compile looks for its libraries in the directory "
               "lib/ next to bin/)";
      return false;
    }
    args.push_back(std::string(p));
  }
  args.push_back("-Wl,--end-group");
#ifdef FLOPS_ZLIB_STATIC
  std::string zlib = FLOPS_ZLIB_STATIC;
#else
  std::string zlib;
#endif
  if (!shared)
    args.push_back(!zlib.empty() && llvm::sys::fs::exists(zlib) ? zlib
                                                                : "-lz");
  if (threads > 1) {
    std::string omp = findOpenMPRuntime();
    if (omp.empty()) {
      *error = "--num-threads " + std::to_string(threads) +
               " needs an OpenMP runtime (libomp.so.5), none found";
      return false;
    }
    args.push_back(omp);
    args.push_back("-Wl,-rpath," +
                   llvm::sys::path::parent_path(omp).str());
  }
  args.push_back("-lm");
  TempFile log;
  if (auto ec = llvm::sys::fs::createTemporaryFile("flops-compile-link", "log",
                                                   log.path)) {
    *error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt,
                                                llvm::StringRef(log.path),
                                                llvm::StringRef(log.path)};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(*linker, argv, std::nullopt, redirects,
                                     0, 0, &execError);
  if (rc != 0) {
    std::string text;
    if (auto buf = llvm::MemoryBuffer::getFile(log.path))
      text = (*buf)->getBuffer().str();
    std::string cmd;
    for (const std::string &a : args)
      cmd += (cmd.empty() ? "" : " ") + a;
    *error = "linking " + o.output + " failed (" +
             (execError.empty() ? "exit code " + std::to_string(rc)
                                : execError) +
             "): " + cmd + (text.empty() ? "" : "\n" + text);
    return false;
  }
  return true;
}

/// Adds the public entry `name` to `module`: a copy of the forward the
/// steps call (renamed, so that they keep calling the dynamic one) with its
/// dynamic batch set to `batch`.
bool addForwardEntry(ModuleOp module, const std::string &name, int64_t batch,
                     std::string *error) {
  auto fwd = module.lookupSymbol<func::FuncOp>(name);
  if (!fwd || fwd.isExternal()) {
    *error = "no function @" + name + " to export";
    return false;
  }
  auto copy = fwd.clone();
  if (!specializeBatch(copy, batch, error)) {
    copy.erase();
    *error = "cannot export the forward entry: " + *error;
    return false;
  }
  SymbolTable table(module);
  if (failed(table.rename(fwd, "__flops_" + name + "_dynamic"))) {
    copy.erase();
    *error = "cannot rename @" + name;
    return false;
  }
  copy.setName(name);
  table.insert(copy);
  return true;
}

/// The batch of the step (its input's first dimension).
int64_t stepBatch(const FunctionSignature &eval) {
  for (const TensorSpec &t : eval.args)
    if (t.role == "input" && !t.shape.empty())
      return t.shape[0];
  return 0;
}

/// The options of --device and --forward-batch, checked before anything
/// is read.
bool checkDeviceAndForward(const TrainConfig &cfg,
                           const CompileTrainerOptions &o,
                           std::string *error) {
  if (o.device != "cpu" && o.device != "cuda") {
    *error = "--device must be cpu or cuda, got '" + o.device + "'";
    return false;
  }
  if (o.device == "cpu" && !o.cudaOptions.empty()) {
    *error = "--cuda-options needs --device cuda";
    return false;
  }
  if (o.device == "cuda" &&
      (cfg.compile.pipeline != PipelineKind::Auto ||
       !cfg.compile.cpuOptions.empty() || cfg.compile.numThreads != 1)) {
    *error = "--pipeline, --cpu-options and --num-threads do not apply to "
             "--device cuda (the step runs flops-lower-to-cuda)";
    return false;
  }
  if (o.forwardBatch < 0) {
    *error = "--forward-batch must be >= 1 (0 = the step's batch), got " +
             std::to_string(o.forwardBatch);
    return false;
  }
  if (o.forwardBatch && o.emit == "exe") {
    *error = "--forward-batch applies to --emit=obj|header|shared (a "
             "training program has no forward entry)";
    return false;
  }
  return true;
}

/// An ONNX model's parameter values and where they go.
struct OnnxWeights {
  std::string path;
  ::flops::rt::SafeTensors values;
  unsigned numParams = 0;
};

/// For MODEL.onnx: imports it into `step->module` (buildTrainStep then
/// takes it as parsed) and its parameter values into `weights`.
bool importIfOnnx(Session &session, const TrainConfig &cfg,
                  const CompileTrainerOptions &o, TrainStepBuild *step,
                  OnnxWeights *weights, std::string *error) {
  if (!llvm::StringRef(cfg.modelPath).ends_with(".onnx")) {
    if (o.weightsPath.empty())
      return true;
    *error = "--weights applies to an ONNX model (MODEL.onnx) only";
    return false;
  }
  if (!o.importOnnx) {
    *error = cfg.modelPath + ": this flops-compile was built without the "
             "ONNX importer (libonnx-dev); import the model with "
             "flops-import-onnx first";
    return false;
  }
  weights->path =
      o.weightsPath.empty() ? onnxWeightsPath(o.output) : o.weightsPath;
  if (weights->path == o.output || weights->path == cfg.modelPath) {
    *error = "--weights " + weights->path + " names the " +
             (weights->path == o.output ? "output" : "model") + " file";
    return false;
  }
  return o.importOnnx(session.context(), cfg.modelPath, &step->module,
                      &weights->values, &weights->numParams, error);
}

} // namespace

std::string mlir::flops::driver::onnxWeightsPath(const std::string &output) {
  llvm::StringRef p(output);
  for (const char *ext : {".o", ".so", ".h"})
    if (p.ends_with(ext))
      return p.drop_back(std::strlen(ext)).str() + ".safetensors";
  return output + ".safetensors";
}

bool mlir::flops::driver::compileTrainer(const TrainConfig &cfg,
                                         const CompileTrainerOptions &o,
                                         std::string *error) {
  if (o.emit != "exe" && o.emit != "obj" && o.emit != "header" &&
      o.emit != "shared") {
    *error = "--emit must be exe, obj, header or shared, got '" + o.emit + "'";
    return false;
  }
  if (o.output.empty()) {
    *error = "no output file (-o)";
    return false;
  }
  if (!checkDeviceAndForward(cfg, o, error) ||
      !checkTargetCpu(o.target.cpu, error))
    return false;
  Session session;
  TrainStepBuild step;
  OnnxWeights weights;
  if (!importIfOnnx(session, cfg, o, &step, &weights, error))
    return false;
  if (!buildTrainStep(session, cfg, &step, error))
    return false;
  std::vector<std::string> entries = {"train_step", "eval_step"};
  if (o.emit != "exe") {
    int64_t batch = o.forwardBatch ? o.forwardBatch : stepBatch(step.eval);
    if (!addForwardEntry(*step.module, cfg.step.entry, batch, error))
      return false;
    entries.push_back(cfg.step.entry);
  }
  CompileOptions copts = cfg.compile;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  LoweredModule lowered;
  bool ok = lowerEntries(session, *step.module, entries, copts, &lowered,
                         error,
                         o.device == "cuda" ? cudaLoweringPipeline(o.cudaOptions)
                                            : std::string());
  notesOS.flush();
  if (!notes.empty())
    std::fputs(notes.c_str(), cfg.log);
  if (!ok)
    return false;
  if (weights.numParams > 0) {
    if (!::flops::rt::writeSafeTensors(weights.path, weights.values, error))
      return false;
    std::fprintf(cfg.log,
                 "flops-compile: wrote %s (the %u parameters of %s); the "
                 "program starts from them with --params %s\n",
                 weights.path.c_str(), weights.numParams,
                 cfg.modelPath.c_str(), weights.path.c_str());
  }
  if (o.emit == "header")
    return writeFile(o.output, cHeader(cfg, step, lowered, o.target), error);
  std::string object;
  if (!emitObject(*lowered.module, entries, o.target,
                  {{"_flops_manifest", manifest(cfg, step, lowered,
                                                o.target)}},
                  &object, error))
    return false;
  if (o.emit == "obj")
    return writeFile(o.output, object, error);
  TempFile obj;
  if (auto ec = llvm::sys::fs::createTemporaryFile("flops-compile", "o",
                                                   obj.path)) {
    *error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  if (!writeFile(obj.path, object, error))
    return false;
  return linkProgram(o, obj.path, lowered.threads, o.emit == "shared",
                     lowered.kind == PipelineKind::CUDA, error);
}
