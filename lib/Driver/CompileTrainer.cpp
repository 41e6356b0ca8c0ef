//===- CompileTrainer.cpp - flops-compile: standalone trainers ------------===//
//
// See include/flops/Driver/CompileTrainer.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/CompileTrainer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::flops::driver;

namespace {

/// %a: exact text of a double.
std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

/// The text runtime/compiled/Main.cpp reads (`key value` lines, then the
/// signatures).
std::string manifest(const TrainConfig &cfg, const TrainStepBuild &step,
                     const LoweredModule &lowered, const AotTarget &target) {
  const ::flops::rt::StepFacts &f = step.facts;
  bool rowsMatter =
      cfg.step.allocator == "neyman" ||
      (cfg.step.allocator == "bernoulli" && cfg.step.bernoulliSwitchStep < 0);
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
  s += "target " + target.cpu +
       (target.features.empty() ? "" : " " + target.features) + "\n";
  s += "entry " + f.entry + "\n";
  s += "loss " + f.loss + "\n";
  s += "allocator " + f.allocator + "\n";
  s += "queries " + std::to_string(f.queries) + "\n";
  s += "sigma " + exact(f.sigma) + "\n";
  s += "classes " + std::to_string(f.numClasses) + "\n";
  s += "train-rows " + std::to_string(step.data.train.size()) + "\n";
  s += "rows-matter " + std::string(rowsMatter ? "1" : "0") + "\n";
  s += "signatures\n";
  for (const FunctionSignature &sig : lowered.signatures)
    s += ::flops::rt::printSignature(sig);
  return s;
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
                 int64_t threads, std::string *error) {
  auto linker = llvm::sys::findProgramByName(o.linker);
  if (!linker) {
    *error = "--linker: cannot find '" + o.linker + "' on PATH";
    return false;
  }
  std::vector<std::string> args = {*linker, "-o", o.output, object.str()};
  args.push_back("-Wl,--start-group");
  for (const char *lib :
       {"libFlopsCompiledMain.a", "libFlopsCompiledSupport.a",
        "libFlopsTrainLoop.a", "libFlopsIOStatic.a",
        "libFlopsRuntimeStatic.a"}) {
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
  args.push_back(!zlib.empty() && llvm::sys::fs::exists(zlib) ? zlib : "-lz");
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

} // namespace

bool mlir::flops::driver::compileTrainer(const TrainConfig &cfg,
                                         const CompileTrainerOptions &o,
                                         std::string *error) {
  if (o.emit != "exe" && o.emit != "obj") {
    *error = "--emit must be exe or obj, got '" + o.emit + "'";
    return false;
  }
  if (o.output.empty()) {
    *error = "no output file (-o)";
    return false;
  }
  if (!checkTargetCpu(o.target.cpu, error))
    return false;
  Session session;
  TrainStepBuild step;
  if (!buildTrainStep(session, cfg, &step, error))
    return false;
  CompileOptions copts = cfg.compile;
  std::string notes;
  llvm::raw_string_ostream notesOS(notes);
  copts.log = &notesOS;
  LoweredModule lowered;
  bool ok = lowerEntries(session, *step.module, {"train_step", "eval_step"},
                         copts, &lowered, error);
  notesOS.flush();
  if (!notes.empty())
    std::fputs(notes.c_str(), cfg.log);
  if (!ok)
    return false;
  std::string object;
  if (!emitObject(*lowered.module, {"train_step", "eval_step"}, o.target,
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
  return linkProgram(o, obj.path, lowered.threads, error);
}
