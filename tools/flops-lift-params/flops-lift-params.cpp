//===- flops-lift-params.cpp - frozen weights -> flops.param --------------===//
//
// flops-lift-params MODEL.mlir -o OUT.mlir --params OUT.safetensors: the
// entry's large float constants become flops.param arguments, their values
// go to the safetensors file (docs/CLI.md, "flops-lift-params"). A thin
// main over FlopsDriver (LiftParams.h).
//
//===----------------------------------------------------------------------===//

#include "flops/Driver/LiftParams.h"
#include "flops/Driver/Program.h"
#include "flops/Runtime/SafeTensors.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>

using namespace llvm;
namespace driver = mlir::flops::driver;

static cl::OptionCategory cat("flops-lift-params");
static cl::opt<std::string> input(cl::Positional, cl::Required,
                                  cl::desc("<model.mlir>"), cl::cat(cat));
static cl::opt<std::string> output("o", cl::desc("The lifted model"),
                                   cl::value_desc("OUT.mlir"), cl::Required,
                                   cl::cat(cat));
static cl::opt<std::string>
    params("params", cl::desc("The lifted values (safetensors)"),
           cl::value_desc("OUT.safetensors"), cl::Required, cl::cat(cat));
static cl::opt<std::string> entry("entry",
                                  cl::desc("The forward function"),
                                  cl::init("forward"), cl::cat(cat));
static cl::opt<int64_t> minElements(
    "min-elements",
    cl::desc("Lift float constants with at least this many elements"),
    cl::init(16), cl::cat(cat));
static cl::opt<std::string>
    prefix("prefix", cl::desc("Names of the lifted parameters: PREFIX<k>"),
           cl::init("param"), cl::cat(cat));

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions({&cat});
  cl::ParseCommandLineOptions(
      argc, argv,
      "flops-lift-params: turn a model's frozen float constants into "
      "flops.param arguments\n\n"
      "  flops-lift-params model.mlir -o lifted.mlir --params "
      "weights.safetensors\n"
      "  flops-train lifted.mlir --params weights.safetensors ...\n");
  auto fail = [](const std::string &msg) {
    std::fprintf(stderr, "flops-lift-params: error: %s\n", msg.c_str());
    return 1;
  };
  driver::Session session;
  std::string error;
  auto module = session.parseFile(input, &error);
  if (!module)
    return fail(error);
  driver::LiftParamsOptions o;
  o.entry = entry;
  o.minElements = minElements;
  o.prefix = prefix;
  ::flops::rt::SafeTensors st;
  int64_t count = 0;
  if (!driver::liftParams(*module, o, &st, &count, &error))
    return fail(input + ": " + error);
  st.metadata["format"] = "flops-lift-params";
  st.metadata["model"] = input;
  if (!::flops::rt::writeSafeTensors(params, st, &error))
    return fail(error);
  std::error_code ec;
  ToolOutputFile out(output, ec, sys::fs::OF_Text);
  if (ec)
    return fail("cannot write '" + output + "': " + ec.message());
  module->print(out.os());
  out.keep();
  std::fprintf(stderr, "flops-lift-params: %lld constant(s) of @%s lifted "
               "into %s\n", (long long)count, entry.c_str(), params.c_str());
  return 0;
}
