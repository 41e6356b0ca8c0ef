//===- MetricsTest.cpp - JSON-lines metrics and progress lines ------------===//

#include "flops/Runtime/Json.h"
#include "flops/Runtime/Metrics.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

std::vector<std::string> lines(const std::string &path) {
  std::vector<uint8_t> b = readBytes(path);
  std::vector<std::string> out;
  std::string cur;
  for (uint8_t c : b) {
    if (c == '\n') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += char(c);
    }
  }
  EXPECT_TRUE(cur.empty()) << "last line not terminated";
  return out;
}

TEST(Metrics, RecordFormatting) {
  MetricsRecord r;
  r.add("epoch", 1)
      .add("step", int64_t(468))
      .add("rows", size_t(60000))
      .add("train_loss", 0.1)
      .add("lr", 0.001f)
      .add("test_accuracy", std::numeric_limits<double>::quiet_NaN())
      .add("grad_norm", std::numeric_limits<float>::infinity())
      .add("ok", true)
      .add("model", "mlp \"small\"\n")
      .addNull("note");
  EXPECT_EQ(r.json(),
            "{\"epoch\":1,\"step\":468,\"rows\":60000,\"train_loss\":0.1,"
            "\"lr\":0.001,\"test_accuracy\":null,\"grad_norm\":null,"
            "\"ok\":true,\"model\":\"mlp \\\"small\\\"\\n\",\"note\":null}");
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson(r.json(), &v, &err)) << err;
  EXPECT_EQ(v.find("model")->text, "mlp \"small\"\n");
}

TEST(Metrics, NumbersRoundTrip) {
  const double ds[] = {1.0 / 3.0, 2.302585092994046, 1e-300, 6.02214076e23,
                       -0.0};
  for (double d : ds) {
    MetricsRecord r;
    r.add("x", d);
    JsonValue v;
    ASSERT_TRUE(parseJson(r.json(), &v));
    EXPECT_EQ(v.find("x")->number, d) << r.json();
  }
  MetricsRecord r;
  r.add("loss", 0.6931472f);
  JsonValue v;
  ASSERT_TRUE(parseJson(r.json(), &v));
  EXPECT_EQ(static_cast<float>(v.find("loss")->number), 0.6931472f);
  EXPECT_EQ(r.json(), "{\"loss\":0.6931472}"); // Shortest float form.
}

TEST(Metrics, WriterAppendsOneFlushedLinePerRecord) {
  TempDir d;
  std::string p = d.path("metrics.jsonl"), err;
  MetricsWriter w;
  ASSERT_TRUE(w.open(p, false, &err)) << err;
  for (int e = 1; e <= 3; ++e) {
    MetricsRecord r;
    r.add("epoch", e).add("train_loss", 1.0 / e);
    ASSERT_TRUE(w.write(r, &err)) << err;
    // Flushed: visible to another reader before close.
    std::vector<std::string> now = lines(p);
    ASSERT_EQ(now.size(), size_t(e));
    EXPECT_EQ(now.back(), r.json());
  }
  ASSERT_TRUE(w.close(&err)) << err;
  // Append mode keeps earlier lines; truncate mode drops them.
  ASSERT_TRUE(w.open(p, true, &err)) << err;
  MetricsRecord r;
  r.add("epoch", 4);
  ASSERT_TRUE(w.write(r, &err));
  w.close();
  EXPECT_EQ(lines(p).size(), 4u);
  for (const std::string &l : lines(p)) {
    JsonValue v;
    EXPECT_TRUE(parseJson(l, &v, &err)) << l << ": " << err;
  }
  ASSERT_TRUE(w.open(p, false, &err));
  w.close();
  EXPECT_TRUE(lines(p).empty());
}

TEST(Metrics, WriterErrors) {
  TempDir d;
  MetricsWriter w;
  std::string err;
  MetricsRecord r;
  r.add("a", 1);
  EXPECT_FALSE(w.write(r, &err));
  EXPECT_TRUE(contains(err, "not open")) << err;
  std::string p = d.path("missing/dir/m.jsonl");
  EXPECT_FALSE(w.open(p, false, &err));
  EXPECT_TRUE(contains(err, p + ": cannot open")) << err;
  // /dev/full accepts the open and fails the flush with ENOSPC.
  if (w.open("/dev/full", false, &err)) {
    EXPECT_FALSE(w.write(r, &err));
    EXPECT_TRUE(contains(err, "/dev/full: cannot write")) << err;
    EXPECT_TRUE(contains(err, "No space left")) << err;
  }
}

TEST(Metrics, ProgressFormat) {
  ProgressState s;
  s.epoch = 1;
  s.epochs = 10;
  s.step = 20;
  s.steps = 468;
  s.loss = 0.693147;
  s.accuracy = 0.8125;
  s.rowsPerSec = 12345.4;
  EXPECT_EQ(formatProgress(s),
            "epoch 1/10 step 20/468 loss 0.6931 acc 0.8125 rows/s 12345");
  ProgressState unknown;
  EXPECT_EQ(formatProgress(unknown),
            "epoch 0/0 step 0/0 loss - acc - rows/s -");
}

std::string captured(std::FILE *f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  int c;
  while ((c = std::fgetc(f)) != EOF)
    s += char(c);
  return s;
}

TEST(Metrics, ProgressOnATerminalRewritesOneLine) {
  std::FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressPrinter p(f);
    EXPECT_FALSE(p.terminal()); // A regular file is not a tty.
    p.setTerminal(true);
    p.setInterval(0);
    ProgressState s;
    s.epochs = 2;
    s.steps = 100;
    s.epoch = 1;
    s.step = 100;
    s.loss = 12.5;
    EXPECT_TRUE(p.update(s));
    s.step = 5;
    s.loss = 0.5;
    EXPECT_TRUE(p.update(s));
    p.finish();
  }
  std::string out = captured(f);
  std::fclose(f);
  std::string first = "epoch 1/2 step 100/100 loss 12.5000 acc - rows/s -";
  std::string second = "epoch 1/2 step 5/100 loss 0.5000 acc - rows/s -";
  EXPECT_EQ(out, "\r" + first + "\r" + second +
                     std::string(first.size() - second.size(), ' ') + "\n");
}

TEST(Metrics, ProgressWithoutTerminalPrintsPlainLinesRateLimited) {
  std::FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressPrinter p(f);
    ProgressState s;
    s.epochs = 1;
    s.steps = 3;
    s.epoch = 1;
    for (int i = 1; i <= 3; ++i) {
      s.step = i;
      p.update(s); // Only the first passes the 10 s interval.
    }
    EXPECT_TRUE(p.update(s, /*force=*/true));
  }
  std::string out = captured(f);
  std::fclose(f);
  EXPECT_EQ(out, "epoch 1/1 step 1/3 loss - acc - rows/s -\n"
                 "epoch 1/1 step 3/3 loss - acc - rows/s -\n");
}

} // namespace
