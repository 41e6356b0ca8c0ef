//===- StandaloneMain.cpp - run a fuzz target without libFuzzer -----------===//
//
// The fuzz targets' entry point (LLVMFuzzerTestOneInput) built with any
// compiler: runs every file given (or every file in a directory given), then
// -runs=N mutated variants of them (bit flips, byte changes, insertions,
// deletions, truncation, splicing; deterministic for a -seed). This is the
// test suite's smoke run; scripts/fuzz.sh builds the same targets with
// libFuzzer (coverage-guided, sanitized) for long runs. On a crash the
// current input is written to ./fuzz-crash-<target> (SIGSEGV/SIGABRT/...
// handler, async-signal-safe) before the signal is re-raised.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

const std::vector<uint8_t> *gCurrent = nullptr;
char gCrashPath[4096];

void onCrash(int sig) {
  if (gCurrent) {
    int fd = ::open(gCrashPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t w = ::write(fd, gCurrent->data(), gCurrent->size());
      (void)w;
      ::close(fd);
    }
    const char msg[] = "fuzz: crash; input written to ";
    ssize_t w = ::write(2, msg, sizeof msg - 1);
    w = ::write(2, gCrashPath, std::strlen(gCrashPath));
    w = ::write(2, "\n", 1);
    (void)w;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool readFile(const std::string &path, std::vector<uint8_t> *out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return true;
}

void collect(const std::string &path, std::vector<std::string> *files) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    files->push_back(path);
    return;
  }
  DIR *d = ::opendir(path.c_str());
  if (!d)
    return;
  std::vector<std::string> names;
  while (struct dirent *e = ::readdir(d))
    if (e->d_name[0] != '.')
      names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string &n : names)
    collect(path + "/" + n, files);
}

void mutate(std::vector<uint8_t> &v, const std::vector<std::vector<uint8_t>> &all,
            std::mt19937_64 &rng, size_t maxLen) {
  auto pick = [&](size_t n) { return n ? size_t(rng() % n) : 0; };
  static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe};
  int count = 1 + int(rng() % 4);
  for (int k = 0; k < count; ++k) {
    switch (rng() % 8) {
    case 0: // flip a bit
      if (!v.empty())
        v[pick(v.size())] ^= uint8_t(1u << (rng() % 8));
      break;
    case 1: // random byte
      if (!v.empty())
        v[pick(v.size())] = uint8_t(rng());
      break;
    case 2: // interesting byte
      if (!v.empty())
        v[pick(v.size())] = interesting[rng() % sizeof interesting];
      break;
    case 3: { // insert random bytes
      size_t at = pick(v.size() + 1), n = 1 + rng() % 8;
      for (size_t i = 0; i < n; ++i)
        v.insert(v.begin() + long(at), uint8_t(rng()));
      break;
    }
    case 4: { // delete a range
      if (v.empty())
        break;
      size_t at = pick(v.size()), n = 1 + pick(std::min<size_t>(16, v.size() - at));
      v.erase(v.begin() + long(at), v.begin() + long(at + n));
      break;
    }
    case 5: // truncate
      v.resize(pick(v.size() + 1));
      break;
    case 6: { // splice a piece of another input
      const std::vector<uint8_t> &o = all[pick(all.size())];
      if (o.empty())
        break;
      size_t from = pick(o.size()), n = 1 + pick(std::min<size_t>(64, o.size() - from));
      size_t at = pick(v.size() + 1);
      v.insert(v.begin() + long(at), o.begin() + long(from),
               o.begin() + long(from + n));
      break;
    }
    default: { // a 4- or 8-byte little-endian integer (sizes, offsets)
      if (v.size() < 8)
        break;
      size_t at = pick(v.size() - 7);
      uint64_t x = (rng() % 2) ? ~uint64_t(0) >> (rng() % 64) : rng() % 1024;
      std::memcpy(&v[at], &x, (rng() % 2) ? 4 : 8);
      break;
    }
    }
  }
  if (v.size() > maxLen)
    v.resize(maxLen);
}

} // namespace

int main(int argc, char **argv) {
  long runs = 0;
  unsigned long long seed = 1;
  size_t maxLen = 1 << 20;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-runs=", 0) == 0)
      runs = std::strtol(a.c_str() + 6, nullptr, 10);
    else if (a.rfind("-seed=", 0) == 0)
      seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    else if (a.rfind("-max_len=", 0) == 0)
      maxLen = std::strtoull(a.c_str() + 9, nullptr, 10);
    else if (a[0] == '-') {
      std::fprintf(stderr, "usage: %s [-runs=N] [-seed=S] [-max_len=L] "
                           "FILE|DIR...\n", argv[0]);
      return 2;
    } else
      collect(a, &files);
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s: no input files\n", argv[0]);
    return 2;
  }
  const char *base = std::strrchr(argv[0], '/');
  std::snprintf(gCrashPath, sizeof gCrashPath, "fuzz-crash-%s",
                base ? base + 1 : argv[0]);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
    std::signal(sig, onCrash);

  std::vector<std::vector<uint8_t>> corpus;
  for (const std::string &f : files) {
    std::vector<uint8_t> bytes;
    if (!readFile(f, &bytes)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
      return 2;
    }
    corpus.push_back(std::move(bytes));
  }
  for (const std::vector<uint8_t> &input : corpus) {
    gCurrent = &input;
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v;
  for (long r = 0; r < runs; ++r) {
    v = corpus[rng() % corpus.size()];
    mutate(v, corpus, rng, maxLen);
    gCurrent = &v;
    LLVMFuzzerTestOneInput(v.data(), v.size());
  }
  gCurrent = nullptr;
  std::printf("%s: %zu inputs, %ld mutations (seed %llu), no crash\n",
              base ? base + 1 : argv[0], corpus.size(), runs, seed);
  return 0;
}
