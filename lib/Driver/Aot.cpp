//===- Aot.cpp - ahead-of-time compilation of flops modules ---------------===//
//
// See include/flops/Driver/Aot.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Aot.h"

#include "flops/Driver/Jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <memory>
#include <set>

using namespace mlir;
using namespace mlir::flops::driver;

/// Whether each entry's C interface has the parameters its signature and
/// result convention call for.
static bool checkCInterfaces(LoweredModule &lowered,
                             std::string *error) {
  for (const FunctionSignature &sig : lowered.signatures) {
    auto f = lowered.module->lookupSymbol<LLVM::LLVMFuncOp>("_mlir_ciface_" +
                                                            sig.name);
    size_t nArgs = sig.args.size(), nRes = sig.results.size();
    size_t expected = nArgs + (lowered.outParams ? nRes : (nRes ? 1 : 0));
    if (!f || f.getNumArguments() != expected) {
      *error = "unexpected C interface for @" + sig.name;
      return false;
    }
  }
  return true;
}

bool mlir::flops::driver::lowerEntries(Session &session, ModuleOp module,
                                       const std::vector<std::string> &entries,
                                       const CompileOptions &options,
                                       LoweredModule *out,
                                       std::string *error,
                                       const std::string &cudaPipeline) {
  auto fail = [&](const std::string &msg) {
    std::string d = session.takeDiagnostics();
    *error = msg + (d.empty() ? "" : ":\n" + d);
    return false;
  };
  if (options.device)
    return fail("lowerEntries generates code without a device: pass the "
                "CUDA pipeline instead");
  MLIRContext *ctx = module.getContext();
  std::string missing;
  if (!markEntryPoints(module, entries, &missing))
    return fail("the module has no function @" + missing);
  if (!runPipeline(module, preparationPipeline(), error))
    return fail(*error);
  out->signatures.clear();
  for (const std::string &name : entries) {
    out->signatures.emplace_back();
    if (!readSignature(module.lookupSymbol<func::FuncOp>(name),
                       &out->signatures.back(), error))
      return fail(*error);
  }
  for (const std::string &name : entries) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      for (llvm::StringRef a : {"flops.role", "flops.name", "flops.param"})
        f.removeArgAttr(i, a);
    for (unsigned i = 0; i < f.getNumResults(); ++i)
      for (llvm::StringRef a : {"flops.role", "flops.name"})
        f.removeResultAttr(i, StringAttr::get(ctx, a));
  }

  if (!cudaPipeline.empty()) {
    out->module = module.clone();
    if (!runPipeline(*out->module, cudaPipeline, error, nullptr,
                     /*verifyEachPass=*/false))
      return fail(*error);
    out->pipelineText = "builtin.module(" + cudaPipeline + ")";
    out->kind = PipelineKind::CUDA;
    out->threads = 1;
    out->outParams = true;
    return checkCInterfaces(*out, error) || fail(*error);
  }
  int64_t threads = options.numThreads;
  if (threads <= 0)
    return fail("flops-compile needs an explicit --num-threads >= 1 (the "
                "program is compiled for that many threads)");
  PipelineKind kind = options.pipeline;
  if (kind != PipelineKind::Reference) {
    out->module = module.clone();
    std::string text =
        loweringPipeline(PipelineKind::CPU, threads, options.cpuOptions);
    bool invalid = false;
    if (runPipeline(*out->module, text, error, &invalid,
                    /*verifyEachPass=*/false)) {
      kind = PipelineKind::CPU;
      out->pipelineText = "builtin.module(" + text + ")";
    } else if (kind == PipelineKind::CPU || invalid) {
      return fail(*error);
    } else {
      std::string d = session.takeDiagnostics();
      if (options.log)
        *options.log << "note: flops-lower-to-cpu failed ("
                     << d.substr(0, d.find('\n'))
                     << "); falling back to flops-reference-to-llvm (slow)\n";
      kind = PipelineKind::Reference;
    }
  }
  if (kind == PipelineKind::Reference) {
    threads = 1;
    out->module = module.clone();
    std::string text = loweringPipeline(kind, 1, "");
    if (!runPipeline(*out->module, text, error, nullptr,
                     /*verifyEachPass=*/false))
      return fail(*error);
    out->pipelineText = "builtin.module(" + text + ")";
  }
  out->kind = kind;
  out->threads = threads;
  out->outParams = kind != PipelineKind::Reference;
  return checkCInterfaces(*out, error) || fail(*error);
}

/// The triple, CPU name and features of `cpu` ("native": the host's).
static void resolveCpu(const std::string &cpu, std::string *name,
                       std::string *features) {
  if (cpu != "native") {
    *name = cpu;
    return;
  }
  *name = llvm::sys::getHostCPUName().str();
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    *features += (features->empty() ? "" : ",") +
                 std::string(f.second ? "+" : "-") + f.first().str();
}

static std::unique_ptr<llvm::TargetMachine>
createTarget(const AotTarget &target, std::string *error) {
  initializeDriver();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string lookupError;
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple,
                                                             lookupError);
  if (!t) {
    *error = "no LLVM target for " + triple.str() + ": " + lookupError;
    return nullptr;
  }
  std::string cpu, features;
  resolveCpu(target.cpu, &cpu, &features);
  if (!target.features.empty())
    features += (features.empty() ? "" : ",") + target.features;
  llvm::TargetOptions opts;
  auto level = target.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
               : target.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                      : llvm::CodeGenOptLevel::Default;
  std::unique_ptr<llvm::TargetMachine> tm(t->createTargetMachine(
      triple, cpu, features, opts, llvm::Reloc::PIC_, llvm::CodeModel::Small,
      level));
  if (!tm) {
    *error = "cannot create a target machine for " + triple.str() + " " + cpu;
    return nullptr;
  }
  if (!tm->getMCSubtargetInfo()->isCPUStringValid(cpu)) {
    *error = "--target-cpu: '" + target.cpu + "' is not a CPU of " +
             triple.str() +
             " (try x86-64, x86-64-v2, x86-64-v3, x86-64-v4, skylake, "
             "znver4, or native)";
    return nullptr;
  }
  return tm;
}

bool mlir::flops::driver::checkTargetCpu(const std::string &cpu,
                                         std::string *error) {
  AotTarget t;
  t.cpu = cpu;
  return createTarget(t, error) != nullptr;
}

bool mlir::flops::driver::emitObject(
    ModuleOp lowered, const std::vector<std::string> &entries,
    const AotTarget &target,
    const std::vector<std::pair<std::string, std::string>> &strings,
    std::string *object, std::string *error) {
  if (target.optLevel > 3) {
    *error = "--opt-level must be between 0 and 3, got " +
             std::to_string(target.optLevel);
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> tm = createTarget(target, error);
  if (!tm)
    return false;
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(lowered, ctx);
  if (!m) {
    *error = "cannot translate the lowered module to LLVM IR";
    return false;
  }
  for (const std::string &e : entries)
    if (!addPackedEntryWrapper(*m, e, error))
      return false;
  hoistModuleStructors(*m);
  for (const auto &[name, text] : strings) {
    llvm::Constant *init = llvm::ConstantDataArray::getString(ctx, text);
    new llvm::GlobalVariable(*m, init->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, init, name);
  }
  m->setDataLayout(tm->createDataLayout());
  m->setTargetTriple(tm->getTargetTriple());
  auto optimize = makeOptimizingTransformer(target.optLevel, 0, tm.get());
  if (llvm::Error err = optimize(m.get())) {
    *error = "LLVM optimisation failed: " + llvm::toString(std::move(err));
    return false;
  }
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr,
                              llvm::CodeGenFileType::ObjectFile)) {
    *error = "the target cannot emit object files";
    return false;
  }
  pm.run(*m);
  object->assign(buffer.begin(), buffer.end());
  return true;
}
