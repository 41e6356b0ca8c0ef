//===- Metrics.cpp - JSON-lines metrics and a progress line ---------------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Metrics.h"
#include "flops/Runtime/Json.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

using namespace flops::rt;

namespace {

constexpr double kTerminalInterval = 0.1;
constexpr double kPlainInterval = 10.0;

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

} // namespace

MetricsRecord &MetricsRecord::addRaw(const std::string &key,
                                     const std::string &text) {
  if (!body.empty())
    body += ',';
  appendJsonString(body, key);
  body += ':';
  body += text;
  return *this;
}

MetricsRecord &MetricsRecord::add(const std::string &key, double v) {
  return addRaw(key, jsonNumber(v));
}
MetricsRecord &MetricsRecord::add(const std::string &key, float v) {
  return addRaw(key, jsonNumber(v));
}
MetricsRecord &MetricsRecord::add(const std::string &key, bool v) {
  return addRaw(key, v ? "true" : "false");
}
MetricsRecord &MetricsRecord::add(const std::string &key,
                                  const std::string &v) {
  return addRaw(key, jsonString(v));
}
MetricsRecord &MetricsRecord::add(const std::string &key, const char *v) {
  return v ? addRaw(key, jsonString(v)) : addNull(key);
}
MetricsRecord &MetricsRecord::addNull(const std::string &key) {
  return addRaw(key, "null");
}
MetricsRecord &MetricsRecord::addSigned(const std::string &key, long long v) {
  return addRaw(key, std::to_string(v));
}
MetricsRecord &MetricsRecord::addUnsigned(const std::string &key,
                                          unsigned long long v) {
  return addRaw(key, std::to_string(v));
}

MetricsWriter::~MetricsWriter() { close(); }

bool MetricsWriter::open(const std::string &p, bool append,
                         std::string *error) {
  close();
  path = p;
  if (p == "-") {
    file = stdout;
    owned = false;
    return true;
  }
  file = std::fopen(p.c_str(), append ? "ae" : "we");
  if (!file) {
    setError(error, p + ": cannot open the metrics file: " +
                        std::strerror(errno));
    return false;
  }
  owned = true;
  return true;
}

bool MetricsWriter::write(const MetricsRecord &r, std::string *error) {
  if (!file) {
    setError(error, "metrics file is not open");
    return false;
  }
  std::string line = r.json();
  line += '\n';
  errno = 0;
  if (std::fwrite(line.data(), 1, line.size(), file) != line.size() ||
      std::fflush(file) != 0) {
    int err = errno;
    setError(error, path + ": cannot write the metrics line: " +
                        (err ? std::strerror(err) : "I/O error"));
    std::clearerr(file);
    return false;
  }
  return true;
}

bool MetricsWriter::close(std::string *error) {
  if (!file)
    return true;
  bool ok = true;
  int err = 0;
  if (owned) {
    if (std::fclose(file) != 0) {
      ok = false;
      err = errno;
    }
  } else if (std::fflush(file) != 0) {
    ok = false;
    err = errno;
  }
  file = nullptr;
  if (!ok)
    setError(error, path + ": error closing the metrics file: " +
                        std::strerror(err));
  return ok;
}

std::string flops::rt::formatProgress(const ProgressState &s) {
  auto fixed = [](double v, int decimals) -> std::string {
    if (std::isnan(v))
      return "-";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return buf;
  };
  return "epoch " + std::to_string(s.epoch) + "/" + std::to_string(s.epochs) +
         " step " + std::to_string(s.step) + "/" + std::to_string(s.steps) +
         " loss " + fixed(s.loss, 4) + " acc " + fixed(s.accuracy, 4) +
         " rows/s " + fixed(s.rowsPerSec, 0);
}

ProgressPrinter::ProgressPrinter(std::FILE *o) : out(o) {
  setTerminal(o && ::isatty(fileno(o)) == 1);
}

void ProgressPrinter::setTerminal(bool t) {
  isTerminal = t;
  interval = t ? kTerminalInterval : kPlainInterval;
}

bool ProgressPrinter::update(const ProgressState &s, bool force) {
  if (!out)
    return false;
  auto now = std::chrono::steady_clock::now();
  if (!force && printedOnce &&
      std::chrono::duration<double>(now - last).count() < interval)
    return false;
  printedOnce = true;
  last = now;
  std::string line = formatProgress(s);
  if (isTerminal) {
    // Pad with spaces over a longer previous line (no terminal escapes).
    std::string text = "\r" + line;
    if (line.size() < lastWidth)
      text.append(lastWidth - line.size(), ' ');
    lastWidth = line.size();
    std::fputs(text.c_str(), out);
    linePending = true;
  } else {
    line += '\n';
    std::fputs(line.c_str(), out);
  }
  std::fflush(out);
  return true;
}

void ProgressPrinter::finish() {
  if (out && linePending) {
    std::fputc('\n', out);
    std::fflush(out);
  }
  linePending = false;
  lastWidth = 0;
}
