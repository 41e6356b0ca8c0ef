//===- FileIOTest.cpp - Whole-file reads, gzip and atomic writes ----------===//

#include "flops/Runtime/FileIO.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

/// Resets the failure hook even when an assertion returns early.
struct HookGuard {
  explicit HookGuard(AtomicWriteStage s) { setAtomicWriteFailureForTesting(s); }
  ~HookGuard() { setAtomicWriteFailureForTesting(AtomicWriteStage::None); }
};

bool write(const std::string &path, const std::string &text,
           std::string *err) {
  return writeFileAtomic(path, {{text.data(), text.size()}}, err);
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  return v;
}

TEST(FileIO, ReadMissingFileNamesPath) {
  TempDir d;
  std::vector<uint8_t> b;
  std::string err;
  EXPECT_FALSE(readFile(d.path("nope.bin"), &b, &err));
  EXPECT_TRUE(contains(err, d.path("nope.bin"))) << err;
  EXPECT_TRUE(contains(err, "No such file")) << err;
}

TEST(FileIO, ReadDirectoryIsAnError) {
  TempDir d;
  std::vector<uint8_t> b;
  std::string err;
  EXPECT_FALSE(readFile(d.root(), &b, &err));
  EXPECT_TRUE(contains(err, "directory")) << err;
}

TEST(FileIO, ReadEmptyAndLargeFiles) {
  TempDir d;
  std::vector<uint8_t> big = pattern(3 << 20);
  ASSERT_TRUE(writeBytes(d.path("empty"), {}));
  ASSERT_TRUE(writeBytes(d.path("big"), big));
  std::vector<uint8_t> b{1, 2, 3};
  std::string err;
  ASSERT_TRUE(readFile(d.path("empty"), &b, &err)) << err;
  EXPECT_TRUE(b.empty());
  ASSERT_TRUE(readFile(d.path("big"), &b, &err)) << err;
  EXPECT_EQ(b, big);
}

TEST(FileIO, GunzipRoundTripAndConcatenatedMembers) {
  std::vector<uint8_t> a = pattern(100000), b = bytesOf("second member");
  std::vector<uint8_t> gz = gzipBytes(a), gzb = gzipBytes(b);
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(gunzip(gz.data(), gz.size(), "x.gz", &out, &err)) << err;
  EXPECT_EQ(out, a);
  gz.insert(gz.end(), gzb.begin(), gzb.end());
  ASSERT_TRUE(gunzip(gz.data(), gz.size(), "x.gz", &out, &err)) << err;
  std::vector<uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(out, ab);
}

TEST(FileIO, GunzipTruncatedAtEveryRegion) {
  std::vector<uint8_t> gz = gzipBytes(pattern(5000));
  // Inside the header, inside the deflate data, inside the 8-byte trailer.
  for (size_t keep : {size_t(5), gz.size() / 2, gz.size() - 3}) {
    std::vector<uint8_t> out;
    std::string err;
    EXPECT_FALSE(gunzip(gz.data(), keep, "cut.gz", &out, &err)) << keep;
    EXPECT_TRUE(contains(err, "cut.gz")) << err;
    EXPECT_TRUE(contains(err, "truncated")) << keep << ": " << err;
  }
}

TEST(FileIO, GunzipCorruptChecksumAndData) {
  std::vector<uint8_t> gz = gzipBytes(pattern(5000));
  std::vector<uint8_t> badCrc = gz;
  badCrc[badCrc.size() - 6] ^= 0x55; // CRC-32 field of the trailer.
  std::vector<uint8_t> out;
  std::string err;
  EXPECT_FALSE(gunzip(badCrc.data(), badCrc.size(), "crc.gz", &out, &err));
  EXPECT_TRUE(contains(err, "crc.gz: corrupt")) << err;
  EXPECT_TRUE(contains(err, "incorrect data check")) << err;

  std::vector<uint8_t> badBlock = gz;
  badBlock[10] = 0xFF; // First deflate block header: reserved block type.
  EXPECT_FALSE(gunzip(badBlock.data(), badBlock.size(), "blk.gz", &out, &err));
  EXPECT_TRUE(contains(err, "blk.gz: corrupt")) << err;

  std::vector<uint8_t> trailing = gz;
  trailing.push_back('x');
  trailing.push_back('y');
  EXPECT_FALSE(gunzip(trailing.data(), trailing.size(), "tr.gz", &out, &err));
  EXPECT_TRUE(contains(err, "trailing garbage")) << err;
}

TEST(FileIO, ReadMaybeGzipDecidesByContent) {
  TempDir d;
  std::vector<uint8_t> data = pattern(777);
  ASSERT_TRUE(writeBytes(d.path("plain.gz"), data)); // Misleading name.
  ASSERT_TRUE(writeBytes(d.path("packed.bin"), gzipBytes(data)));
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(readMaybeGzipFile(d.path("plain.gz"), &out, &err)) << err;
  EXPECT_EQ(out, data);
  ASSERT_TRUE(readMaybeGzipFile(d.path("packed.bin"), &out, &err)) << err;
  EXPECT_EQ(out, data);
}

TEST(FileIO, AtomicWriteCreatesReplacesAndCleansUp) {
  TempDir d;
  std::string p = d.path("out.bin"), err;
  ASSERT_TRUE(write(p, "first version", &err)) << err;
  EXPECT_EQ(readBytes(p), bytesOf("first version"));
  std::string a = "part one|", b = "part two";
  ASSERT_TRUE(writeFileAtomic(p, {{a.data(), a.size()}, {b.data(), b.size()}},
                              &err))
      << err;
  EXPECT_EQ(readBytes(p), bytesOf("part one|part two"));
  EXPECT_EQ(d.list(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(atomicTempPath(p), p + ".tmp." + std::to_string(::getpid()));
  // The new file honours the umask like any created file.
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666u & ~mask);
}

class AtomicWriteFailure : public ::testing::TestWithParam<AtomicWriteStage> {};

TEST_P(AtomicWriteFailure, LeavesOldFileIntactAndNoTemporary) {
  TempDir d;
  std::string p = d.path("ckpt.safetensors"), err;
  ASSERT_TRUE(write(p, "OLD CONTENT", &err)) << err;
  std::string big(1 << 20, 'N');
  {
    HookGuard hook(GetParam());
    EXPECT_FALSE(write(p, big, &err));
  }
  EXPECT_TRUE(contains(err, p + ": ")) << err;
  EXPECT_TRUE(contains(err, "simulated failure")) << err;
  EXPECT_TRUE(contains(err, "unchanged")) << err;
  EXPECT_EQ(readBytes(p), bytesOf("OLD CONTENT"));
  EXPECT_EQ(d.list(), std::vector<std::string>{"ckpt.safetensors"});
  // The hook is off again: a retry succeeds.
  ASSERT_TRUE(write(p, "NEW", &err)) << err;
  EXPECT_EQ(readBytes(p), bytesOf("NEW"));
}

INSTANTIATE_TEST_SUITE_P(Stages, AtomicWriteFailure,
                         ::testing::Values(AtomicWriteStage::Open,
                                           AtomicWriteStage::Write,
                                           AtomicWriteStage::Sync,
                                           AtomicWriteStage::Rename));

TEST(FileIO, AtomicWriteRealOpenFailureKeepsOldFile) {
  // A directory squatting on the temporary name makes open() fail even for
  // root, which ignores permission bits.
  TempDir d;
  std::string p = d.path("params.safetensors"), err;
  ASSERT_TRUE(write(p, "OLD", &err)) << err;
  ASSERT_EQ(::mkdir(atomicTempPath(p).c_str(), 0755), 0);
  EXPECT_FALSE(write(p, "NEW", &err));
  EXPECT_TRUE(contains(err, p + ": cannot create temporary file")) << err;
  EXPECT_TRUE(contains(err, "Is a directory")) << err;
  EXPECT_EQ(readBytes(p), bytesOf("OLD"));
  ASSERT_EQ(::rmdir(atomicTempPath(p).c_str()), 0);
}

TEST(FileIO, AtomicWriteRealRenameFailureRemovesTemporary) {
  TempDir d;
  std::string p = d.path("target"), err;
  ASSERT_EQ(::mkdir(p.c_str(), 0755), 0);
  ASSERT_TRUE(writeBytes(p + "/keep", bytesOf("x"))); // Non-empty directory.
  EXPECT_FALSE(write(p, "data", &err));
  EXPECT_TRUE(contains(err, "cannot rename")) << err;
  EXPECT_EQ(d.list(), std::vector<std::string>{"target"});
  EXPECT_EQ(readBytes(p + "/keep"), bytesOf("x"));
}

TEST(FileIO, AtomicWriteMissingDirectory) {
  TempDir d;
  std::string p = d.path("no/such/dir/out.npy"), err;
  EXPECT_FALSE(write(p, "data", &err));
  EXPECT_TRUE(contains(err, p + ": cannot create temporary file")) << err;
  EXPECT_TRUE(contains(err, "No such file or directory")) << err;
}

TEST(FileIO, AtomicWriteReadOnlyDirectory) {
  TempDir d;
  std::string sub = d.path("ro"), err;
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  std::string p = sub + "/out.bin";
  ASSERT_TRUE(write(p, "OLD", &err)) << err;
  ASSERT_EQ(::chmod(sub.c_str(), 0555), 0);
  bool writable = ::access(sub.c_str(), W_OK) == 0; // Root ignores modes.
  if (!writable) {
    EXPECT_FALSE(write(p, "NEW", &err));
    EXPECT_TRUE(contains(err, "Permission denied")) << err;
    EXPECT_EQ(readBytes(p), bytesOf("OLD"));
  }
  ::chmod(sub.c_str(), 0755);
  if (writable)
    GTEST_SKIP() << "permission bits are not enforced for this user (root); "
                    "AtomicWriteRealOpenFailureKeepsOldFile covers the path";
}

TEST(FileIO, StaleTemporariesOfDeadWritersAreRemoved) {
  // A writer killed between creating its temporary and renaming it leaves
  // OUT.tmp.<pid>; the next atomic write of OUT removes it, but never the
  // temporary of a live process or another file's.
  TempDir d;
  std::string p = d.path("ck.bin"), err;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  std::string dead = p + ".tmp." + std::to_string(child);
  std::string live = p + ".tmp.1"; // init: always alive
  std::string other = d.path("other.bin") + ".tmp." + std::to_string(child);
  std::string notPid = p + ".tmp.x12";
  for (const std::string &f : {dead, live, other, notPid})
    ASSERT_TRUE(write(f, "partial", &err)) << err;
  ASSERT_TRUE(write(p, "NEW", &err)) << err;
  EXPECT_NE(::access(dead.c_str(), F_OK), 0) << dead << " was kept";
  EXPECT_EQ(::access(live.c_str(), F_OK), 0) << live << " was removed";
  EXPECT_EQ(::access(other.c_str(), F_OK), 0) << other << " was removed";
  EXPECT_EQ(::access(notPid.c_str(), F_OK), 0) << notPid << " was removed";
  EXPECT_EQ(readBytes(p), bytesOf("NEW"));
  EXPECT_EQ(flops::rt::removeStaleTemporaries(p), 0);
}

} // namespace
