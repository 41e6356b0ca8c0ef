//===- Jit.cpp - LLVM dialect -> object file -> in-process code -----------===//
//
// See include/flops/Driver/Jit.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/Jit.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

using namespace mlir;
using namespace mlir::flops::driver;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double cpuNow(clockid_t which) {
  timespec ts;
  clock_gettime(which, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
/// CPU seconds of the calling thread since `t` (cpuNow of the thread).
double threadCpuSince(double t) {
  return cpuNow(CLOCK_THREAD_CPUTIME_ID) - t;
}

/// The target of both the object emission and the linker: the host CPU with
/// its features, position-independent, small code model (what JITLink links
/// on x86-64).
llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostBuilder() {
  auto b = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!b)
    return b.takeError();
  b->setRelocationModel(llvm::Reloc::PIC_);
  b->setCodeModel(llvm::CodeModel::Small);
  return b;
}

/// `void _flops_packed_<name>(void **args)`: argument i is `*args[i]`.
bool addPackedWrapper(llvm::Module &m, llvm::StringRef name,
                      std::string *error) {
  llvm::Function *f = m.getFunction(("_mlir_ciface_" + name).str());
  if (!f) {
    *error = "the lowered module has no _mlir_ciface_" + name.str();
    return false;
  }
  if (!f->getReturnType()->isVoidTy()) {
    *error = "_mlir_ciface_" + name.str() + " returns a value";
    return false;
  }
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *w = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                   "_flops_packed_" + name, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", w));
  llvm::SmallVector<llvm::Value *> args;
  for (llvm::Argument &a : f->args()) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, w->getArg(0), a.getArgNo());
    llvm::Value *p = b.CreateLoad(ptr, slot);
    args.push_back(b.CreateLoad(a.getType(), p));
  }
  b.CreateCall(f, args);
  b.CreateRetVoid();
  return true;
}

/// Replaces `llvm.global_ctors` / `llvm.global_dtors` by an external
/// function `fnName` that calls their entries in priority order (reversed
/// for destructors). No-op when the array is absent.
void hoistStructors(llvm::Module &m, llvm::StringRef arrayName,
                    llvm::StringRef fnName, bool reverse) {
  llvm::GlobalVariable *gv = m.getGlobalVariable(arrayName);
  if (!gv)
    return;
  std::vector<std::pair<uint64_t, llvm::Function *>> fns;
  if (auto *init = llvm::dyn_cast_or_null<llvm::ConstantArray>(
          gv->getInitializer()))
    for (llvm::Value *op : init->operands()) {
      auto *cs = llvm::dyn_cast<llvm::ConstantStruct>(op);
      if (!cs || cs->getNumOperands() < 2)
        continue;
      auto *prio = llvm::dyn_cast<llvm::ConstantInt>(cs->getOperand(0));
      auto *fn = llvm::dyn_cast<llvm::Function>(
          cs->getOperand(1)->stripPointerCasts());
      if (prio && fn)
        fns.push_back({prio->getZExtValue(), fn});
    }
  std::stable_sort(fns.begin(), fns.end(), [](const auto &a, const auto &b) {
    return a.first < b.first;
  });
  if (reverse)
    std::reverse(fns.begin(), fns.end());
  gv->eraseFromParent();
  llvm::LLVMContext &ctx = m.getContext();
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false);
  auto *w = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                   fnName, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", w));
  for (auto &[prio, fn] : fns)
    b.CreateCall(fn->getFunctionType(), fn, {});
  b.CreateRetVoid();
}

} // namespace

bool mlir::flops::driver::addPackedEntryWrapper(llvm::Module &m,
                                                llvm::StringRef name,
                                                std::string *error) {
  return addPackedWrapper(m, name, error);
}

void mlir::flops::driver::hoistModuleStructors(llvm::Module &m) {
  hoistStructors(m, "llvm.global_ctors", "_flops_global_ctors", false);
  hoistStructors(m, "llvm.global_dtors", "_flops_global_dtors", true);
}

std::string mlir::flops::driver::hostTargetDescription() {
  std::string s = llvm::sys::getProcessTriple() + " " +
                  llvm::sys::getHostCPUName().str();
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    s += (f.second ? " +" : " -") + f.first().str();
  return s;
}

namespace {

/// Optimises `m` and emits its object for the host.
bool optimizeAndEmit(llvm::Module &m, unsigned optLevel, std::string *object,
                     double *optimizeSeconds, double *codegenSeconds,
                     std::string *error) {
  auto builder = hostBuilder();
  if (!builder) {
    *error = "cannot detect the host target: " +
             llvm::toString(builder.takeError());
    return false;
  }
  builder->setCodeGenOptLevel(optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
                              : optLevel == 0 ? llvm::CodeGenOptLevel::None
                                              : llvm::CodeGenOptLevel::Default);
  auto tm = builder->createTargetMachine();
  if (!tm) {
    *error = "cannot create a target machine: " +
             llvm::toString(tm.takeError());
    return false;
  }
  m.setDataLayout((*tm)->createDataLayout());
  m.setTargetTriple((*tm)->getTargetTriple());

  double t1 = cpuNow(CLOCK_THREAD_CPUTIME_ID);
  auto optimize = makeOptimizingTransformer(optLevel, 0, tm->get());
  if (llvm::Error err = optimize(&m)) {
    *error = "LLVM optimisation failed: " + llvm::toString(std::move(err));
    return false;
  }
  *optimizeSeconds = threadCpuSince(t1);

  double t2 = cpuNow(CLOCK_THREAD_CPUTIME_ID);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, os, nullptr,
                                 llvm::CodeGenFileType::ObjectFile)) {
    *error = "the target cannot emit object files";
    return false;
  }
  pm.run(m);
  object->assign(buffer.begin(), buffer.end());
  *codegenSeconds = threadCpuSince(t2);
  return true;
}

} // namespace

namespace {

/// Instructions of `f`: the cost estimate of optimising and compiling it.
size_t instructionCount(const llvm::Function &f) {
  size_t n = 0;
  for (const llvm::BasicBlock &b : f)
    n += b.size();
  return n;
}

} // namespace

/// `name` without its trailing `_nest<k>` suffixes: the function that
/// flops-cpu-outline-loop-nests outlined it from (the pass names every
/// function it creates `@<parent>_nest<k>`, also the straight-line runs of
/// calls it moves out of a big nest, which call their sibling nests).
static llvm::StringRef outlineRoot(llvm::StringRef name) {
  while (true) {
    size_t pos = name.rfind("_nest");
    if (pos == llvm::StringRef::npos)
      return name;
    llvm::StringRef k = name.drop_front(pos + 5);
    if (k.empty() || !llvm::all_of(k, llvm::isDigit))
      return name;
    name = name.take_front(pos);
  }
}

bool mlir::flops::driver::isSequencingFunction(const llvm::Function &f) {
  llvm::StringRef name = f.getName();
  if (name.starts_with("_mlir_ciface_") || name.starts_with("_flops_packed_"))
    return true;
  // A call of an outlined nest: its own root's, or, since
  // flops-merge-identical-functions keeps one of each set of equal nests,
  // one outlined from another step (@eval_step_nest3 calling the
  // @train_step_nest40 it was merged into).
  bool forks = false;
  for (const llvm::BasicBlock &b : f)
    for (const llvm::Instruction &i : b)
      if (auto *call = llvm::dyn_cast<llvm::CallBase>(&i))
        if (const llvm::Function *callee = call->getCalledFunction()) {
          llvm::StringRef c = callee->getName();
          if (callee != &f && outlineRoot(c) != c)
            return true;
          forks |= c == "__kmpc_fork_call";
        }
  // An outlined parallel region (`@f_nest<k>` holding one omp.parallel):
  // without a loop of its own it only packs the captured values and forks;
  // the region's body is the `..omp_par` function it forks, which stays hot.
  if (!forks)
    return false;
  llvm::SmallVector<std::pair<const llvm::BasicBlock *,
                              const llvm::BasicBlock *>> backedges;
  llvm::FindFunctionBackedges(f, backedges);
  return backedges.empty();
}

namespace {

/// One module to optimise and compile on a thread of its own.
struct Part {
  std::vector<const llvm::GlobalValue *> members;
  size_t cost = 0;
  bool cold = false;
};

/// Splits `m` into `parts` (see objectsFromModule): locals become hidden
/// globals (so the parts link), each global value is defined in exactly one
/// part and declared in the others; each part is written as bitcode.
void splitModule(llvm::Module &m, llvm::ArrayRef<Part> parts,
                 std::vector<llvm::SmallVector<char, 0>> *bitcode) {
  llvm::DenseMap<const llvm::GlobalValue *, size_t> owner;
  for (size_t i = 0; i < parts.size(); ++i)
    for (const llvm::GlobalValue *gv : parts[i].members)
      owner[gv] = i;
  for (size_t i = 0; i < parts.size(); ++i) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> part =
        llvm::CloneModule(m, map, [&](const llvm::GlobalValue *gv) {
          auto it = owner.find(gv);
          // Globals no part owns (none today) go with the first part.
          return it == owner.end() ? i == 0 : it->second == i;
        });
    bitcode->emplace_back();
    llvm::raw_svector_ostream os(bitcode->back());
    llvm::WriteBitcodeToFile(*part, os);
  }
}

} // namespace

bool mlir::flops::driver::objectsFromModule(
    ModuleOp module, llvm::ArrayRef<std::string> entries, unsigned optLevel,
    int coldOptLevel, unsigned threads, std::vector<std::string> *objects,
    CodegenTimes *times, std::string *error) {
  if (optLevel > 3) {
    *error = "--opt-level must be between 0 and 3, got " +
             std::to_string(optLevel);
    return false;
  }
  if (coldOptLevel < -1 || coldOptLevel > 3) {
    *error = "--cold-opt-level must be between -1 and 3, got " +
             std::to_string(coldOptLevel);
    return false;
  }
  double t0 = cpuNow(CLOCK_THREAD_CPUTIME_ID);
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(module, *ctx);
  if (!m) {
    *error = "cannot translate the lowered module to LLVM IR";
    return false;
  }
  for (const std::string &e : entries)
    if (!addPackedWrapper(*m, e, error))
      return false;
  hoistStructors(*m, "llvm.global_ctors", "_flops_global_ctors", false);
  hoistStructors(*m, "llvm.global_dtors", "_flops_global_dtors", true);

  // The parts: sequencing functions (isSequencingFunction) in one cold part when
  // coldOptLevel is below optLevel; the others spread over `threads` hot
  // parts, largest first onto the lightest part (instruction counts).
  // Global variables go to the first hot part.
  bool tiered = coldOptLevel >= 0 && unsigned(coldOptLevel) < optLevel;
  std::vector<std::pair<size_t, const llvm::Function *>> hot;
  Part cold;
  cold.cold = true;
  for (const llvm::Function &f : *m) {
    if (f.isDeclaration())
      continue;
    size_t n = instructionCount(f);
    if (tiered && isSequencingFunction(f)) {
      cold.members.push_back(&f);
      cold.cost += n;
    } else {
      hot.push_back({n, &f});
    }
  }
  unsigned hotParts =
      unsigned(std::max<size_t>(1, std::min<size_t>(threads, hot.size())));
  std::vector<Part> parts(hotParts);
  std::stable_sort(hot.begin(), hot.end(),
                   [](auto &a, auto &b) { return a.first > b.first; });
  for (auto &[n, f] : hot) {
    Part &p = *std::min_element(
        parts.begin(), parts.end(),
        [](const Part &a, const Part &b) { return a.cost < b.cost; });
    p.members.push_back(f);
    p.cost += n;
  }
  for (const llvm::GlobalVariable &g : m->globals())
    parts.front().members.push_back(&g);
  if (!cold.members.empty())
    parts.push_back(std::move(cold));
  times->threads = std::min<unsigned>(threads, parts.size());

  if (parts.size() == 1) {
    times->translate = threadCpuSince(t0);
    objects->assign(1, std::string());
    auto t1 = Clock::now();
    bool ok = optimizeAndEmit(*m, optLevel, &objects->front(),
                              &times->optimize, &times->codegen, error);
    times->parallel = since(t1);
    return ok;
  }

  // Locals become hidden globals so that the parts link (named first: a
  // nameless global cannot be declared in another module).
  unsigned anonymous = 0;
  for (llvm::GlobalValue &gv : m->global_values()) {
    if (gv.isDeclaration())
      continue;
    if (!gv.hasName())
      gv.setName("__flops_anon." + llvm::Twine(anonymous++));
    if (gv.hasLocalLinkage()) {
      gv.setLinkage(llvm::GlobalValue::ExternalLinkage);
      gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
  }
  // Each part is carried to its thread as bitcode (an LLVMContext is not
  // shared between threads).
  std::vector<llvm::SmallVector<char, 0>> bitcode;
  splitModule(*m, parts, &bitcode);
  m.reset();
  ctx.reset();
  times->translate = threadCpuSince(t0);

  auto t1 = Clock::now();
  size_t n = bitcode.size();
  objects->assign(n, std::string());
  std::vector<std::string> errors(n);
  std::vector<double> opt(n, 0.0), gen(n, 0.0);
  std::vector<char> ok(n, 0);
  auto work = [&](size_t i) {
    llvm::LLVMContext c;
    auto part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(bitcode[i].data(), bitcode[i].size()), "part"),
        c);
    if (!part) {
      errors[i] = "cannot read a module part: " +
                  llvm::toString(part.takeError());
      return;
    }
    ok[i] = optimizeAndEmit(**part, parts[i].cold ? coldOptLevel : optLevel,
                            &(*objects)[i], &opt[i], &gen[i], &errors[i]);
  };
  // The threads take the parts in order (the hot parts first: the cold one
  // is quick).
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i; (i = next.fetch_add(1)) < n;)
      work(i);
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < times->threads; ++i)
    pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool)
    t.join();
  times->parallel = since(t1);
  for (size_t i = 0; i < n; ++i) {
    if (!ok[i]) {
      *error = errors[i];
      return false;
    }
    times->optimize += opt[i];
    times->codegen += gen[i];
  }
  return true;
}

ObjectJit::ObjectJit() = default;
ObjectJit::~ObjectJit() = default;

std::unique_ptr<ObjectJit>
ObjectJit::create(llvm::ArrayRef<std::string> sharedLibs,
                  std::string *error) {
  auto builder = hostBuilder();
  if (!builder) {
    *error = "cannot detect the host target: " +
             llvm::toString(builder.takeError());
    return nullptr;
  }
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*builder))
                 .create();
  if (!jit) {
    *error = "cannot create the JIT: " + llvm::toString(jit.takeError());
    return nullptr;
  }
  std::unique_ptr<ObjectJit> j(new ObjectJit());
  j->jit = std::move(*jit);
  char prefix = j->jit->getDataLayout().getGlobalPrefix();
  llvm::orc::JITDylib &main = j->jit->getMainJITDylib();
  // The runtime (libFlopsRuntime, linked into the tool), libc, libm, ...
  auto process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process) {
    *error = "cannot search the process's symbols: " +
             llvm::toString(process.takeError());
    return nullptr;
  }
  main.addGenerator(std::move(*process));
  for (const std::string &lib : sharedLibs) {
    auto g = llvm::orc::DynamicLibrarySearchGenerator::Load(lib.c_str(),
                                                           prefix);
    if (!g) {
      *error = "cannot load " + lib + ": " + llvm::toString(g.takeError());
      return nullptr;
    }
    main.addGenerator(std::move(*g));
  }
  return j;
}

bool ObjectJit::add(llvm::StringRef object, std::string *error) {
  if (llvm::Error err = jit->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(object, "flops-step.o"))) {
    *error = "cannot link the compiled object: " +
             llvm::toString(std::move(err));
    return false;
  }
  return true;
}

void (*ObjectJit::lookupPacked(llvm::StringRef name,
                               std::string *error))(void **) {
  auto addr = jit->lookup(("_flops_packed_" + name).str());
  if (!addr) {
    *error = "cannot find the compiled @" + name.str() + ": " +
             llvm::toString(addr.takeError());
    return nullptr;
  }
  return addr->toPtr<void (*)(void **)>();
}

void (*ObjectJit::lookupOptional(llvm::StringRef name))() {
  auto addr = jit->lookup(name);
  if (!addr) {
    llvm::consumeError(addr.takeError());
    return nullptr;
  }
  return addr->toPtr<void (*)()>();
}
