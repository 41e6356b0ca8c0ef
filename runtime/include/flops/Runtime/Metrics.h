//===- Metrics.h - JSON-lines metrics and a progress line -------*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// MetricsWriter appends one JSON object per line
//   {"epoch":1,"train_loss":0.4321,"test_accuracy":0.8612}
// and flushes after every line, so a crash loses at most the line being
// written. Numbers are written in the shortest form that parses back to the
// same value (a float field round-trips as float, a double as double); NaN and
// infinities, which JSON cannot hold, are written as null.
//
// ProgressPrinter shows training progress
//   epoch 1/10 step 20/468 loss 0.6931 acc 0.8125 rows/s 12345
// On a terminal (isatty) it rewrites one line with a carriage return, at most
// every 0.1 s; otherwise it prints a plain line at most every 10 s. Forced
// updates (e.g. at the end of an epoch) always print.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_METRICS_H
#define FLOPS_RUNTIME_METRICS_H

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

namespace flops {
namespace rt {

/// One JSON object; members in insertion order. Keys are not deduplicated.
class MetricsRecord {
public:
  MetricsRecord &add(const std::string &key, double v);
  MetricsRecord &add(const std::string &key, float v);
  MetricsRecord &add(const std::string &key, bool v);
  MetricsRecord &add(const std::string &key, const std::string &v);
  MetricsRecord &add(const std::string &key, const char *v);
  template <typename T, std::enable_if_t<std::is_integral<T>::value &&
                                             !std::is_same<T, bool>::value,
                                         int> = 0>
  MetricsRecord &add(const std::string &key, T v) {
    return std::is_signed<T>::value
               ? addSigned(key, static_cast<long long>(v))
               : addUnsigned(key, static_cast<unsigned long long>(v));
  }
  MetricsRecord &addNull(const std::string &key);

  /// The object, without a newline.
  std::string json() const { return "{" + body + "}"; }
  bool empty() const { return body.empty(); }
  void clear() { body.clear(); }

private:
  MetricsRecord &addSigned(const std::string &key, long long v);
  MetricsRecord &addUnsigned(const std::string &key, unsigned long long v);
  MetricsRecord &addRaw(const std::string &key, const std::string &text);
  std::string body;
};

/// A JSON-lines file.
class MetricsWriter {
public:
  MetricsWriter() = default;
  MetricsWriter(const MetricsWriter &) = delete;
  MetricsWriter &operator=(const MetricsWriter &) = delete;
  ~MetricsWriter();

  /// Opens `path` ("-" = standard output), truncating it unless `append`.
  bool open(const std::string &path, bool append,
            std::string *error = nullptr);
  bool isOpen() const { return file != nullptr; }
  /// Writes the record as one line and flushes.
  bool write(const MetricsRecord &r, std::string *error = nullptr);
  bool close(std::string *error = nullptr);

private:
  std::FILE *file = nullptr;
  bool owned = false;
  std::string path;
};

struct ProgressState {
  int64_t epoch = 0, epochs = 0, step = 0, steps = 0;
  double loss = std::numeric_limits<double>::quiet_NaN();
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  double rowsPerSec = std::numeric_limits<double>::quiet_NaN();
};

/// "epoch e/E step s/S loss x acc y rows/s z" (loss and acc with 4
/// decimals, rows/s rounded; "-" for a NaN).
std::string formatProgress(const ProgressState &s);

class ProgressPrinter {
public:
  /// Terminal mode when isatty(fileno(out)).
  explicit ProgressPrinter(std::FILE *out = stderr);
  ProgressPrinter(const ProgressPrinter &) = delete;
  ProgressPrinter &operator=(const ProgressPrinter &) = delete;
  ~ProgressPrinter() { finish(); }

  bool terminal() const { return isTerminal; }
  /// Overrides the detection; resets the interval to the mode's default.
  void setTerminal(bool t);
  /// Minimum seconds between unforced prints.
  void setInterval(double seconds) { interval = seconds; }
  /// Prints `s` if forced or the interval has passed since the last print.
  /// Returns whether it printed.
  bool update(const ProgressState &s, bool force = false);
  /// Ends a pending terminal line with a newline (idempotent).
  void finish();

private:
  std::FILE *out;
  bool isTerminal;
  double interval;
  bool printedOnce = false;
  bool linePending = false;
  size_t lastWidth = 0;
  std::chrono::steady_clock::time_point last;
};

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_METRICS_H
