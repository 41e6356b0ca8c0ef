//===- llvm-json-check.cpp - why the runtime keeps its own JSON parser ----===//
//
// Issue 15 asked to replace the runtime's hand-written JSON parser (used for
// safetensors headers, which come from untrusted files) with llvm::json unless
// a reason not to is measured. This program measures LLVM 22's llvm::json on
// what that parser must reject or keep: deep nesting (stack use), duplicate
// keys, member order, uint64 offsets. Built and run by llvm-json-check.sh.
//
//===----------------------------------------------------------------------===//
#include "llvm/Support/JSON.h"
#include <cstdio>
#include <string>
int main(int argc, char **argv) {
  int n = std::atoi(argv[1]);
  std::string s(n, '[');
  s += std::string(n, ']');
  auto v = llvm::json::parse(s);
  std::printf("depth %d: %s\n", n, v ? "parsed" : llvm::toString(v.takeError()).c_str());
  auto d = llvm::json::parse("{\"a\":1,\"a\":2}");
  std::printf("duplicate keys: %s\n", d ? "accepted" : llvm::toString(d.takeError()).c_str());
  auto u = llvm::json::parse("{\"b\":1,\"a\":2}");
  for (auto &kv : *u->getAsObject()) std::printf("key %s\n", kv.first.str().c_str());
  auto big = llvm::json::parse("[18446744073709551615, 123456789012345678901234567890]");
  if (big) { auto *a = big->getAsArray(); std::printf("u64 %s; huge %s\n", (*a)[0].getAsUINT64() ? "ok" : "lost", (*a)[1].getAsNumber() ? "double" : "?"); }
  else std::printf("big: %s\n", llvm::toString(big.takeError()).c_str());
}
