//===- StepABI.cpp - call boundary of compiled steps, without LLVM --------===//
//
// See runtime/include/flops/Runtime/StepABI.h.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/StepABI.h"
#include "flops/Runtime/CInterface.h"

#include <climits>
#include <malloc.h>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

using namespace flops::rt;

bool flops::rt::retainFreedHostMemory() {
  for (const char *v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                        "GLIBC_TUNABLES"})
    if (std::getenv(v))
      return false;
  if (const char *v = std::getenv("FLOPS_RETAIN_FREED_MEMORY");
      v && std::strcmp(v, "0") == 0)
    return false;
#if defined(__GLIBC__)
  // Setting either value also turns off glibc's dynamic threshold, which
  // would otherwise rise only after the first large free.
  bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1 && ok;
  return ok;
#else
  return false;
#endif
}

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t TensorSpec::numBytes() const {
  return size_t(numElements()) * dtypeSize(dtype);
}

static const char *mlirTypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "ui8";
  }
  return "?";
}

std::string TensorSpec::str() const {
  if (scalar)
    return mlirTypeName(dtype);
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + mlirTypeName(dtype) + ">";
}

bool FunctionSignature::uniqueArgWithRole(std::string_view role,
                                          unsigned *idx,
                                          std::string *error) const {
  std::vector<unsigned> v = argsWithRole(role);
  if (v.size() != 1) {
    *error = "@" + name + " has " + std::to_string(v.size()) +
             " arguments with flops.role = \"" + std::string(role) +
             "\", expected 1";
    return false;
  }
  *idx = v[0];
  return true;
}

std::vector<unsigned>
FunctionSignature::argsWithRole(std::string_view role) const {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < args.size(); ++i)
    if (args[i].role == role)
      r.push_back(i);
  return r;
}

std::vector<unsigned>
FunctionSignature::resultsWithRole(std::string_view role) const {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < results.size(); ++i)
    if (results[i].role == role)
      r.push_back(i);
  return r;
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

MemorySpace::~MemorySpace() = default;

Buffer::Buffer(Buffer &&o) noexcept { *this = std::move(o); }

Buffer &Buffer::operator=(Buffer &&o) noexcept {
  if (this == &o)
    return *this;
  release();
  allocated = o.allocated;
  aligned = o.aligned;
  bytes = o.bytes;
  type = o.type;
  dims = std::move(o.dims);
  desc = std::move(o.desc);
  owner = std::move(o.owner);
  borrowed = o.borrowed;
  o.borrowed = false;
  o.allocated = o.aligned = nullptr;
  o.owner.reset();
  o.bytes = 0;
  o.desc.clear();
  return *this;
}

Buffer::~Buffer() { release(); }

void Buffer::release() {
  if (borrowed)
    borrowed = false;
  else if (owner)
    owner->release(allocated);
  else
    std::free(allocated);
  allocated = aligned = nullptr;
  owner.reset();
}

int64_t Buffer::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

bool Buffer::allocate(const TensorSpec &spec, std::string *error,
                      std::shared_ptr<MemorySpace> device) {
  release();
  type = spec.dtype;
  dims = spec.shape;
  bytes = spec.numBytes();
  constexpr size_t align = 64;
  size_t rounded = (bytes + align - 1) / align * align;
  if (device) {
    // Device allocations are at least 256-byte aligned.
    allocated = device->allocate(rounded ? rounded : align, error);
    if (!allocated) {
      *error = spec.name + ": " + *error;
      return false;
    }
    owner = std::move(device);
  } else {
    allocated = std::aligned_alloc(align, rounded ? rounded : align);
  }
  if (!allocated) {
    *error = "out of memory allocating " + std::to_string(bytes) +
             " bytes for " + spec.name;
    return false;
  }
  aligned = allocated;
  std::memset(aligned, 0, rounded ? rounded : align);
  setDescriptor();
  return true;
}

void Buffer::wrap(const TensorSpec &spec, void *data) {
  release();
  type = spec.dtype;
  dims = spec.shape;
  bytes = spec.numBytes();
  allocated = aligned = data;
  borrowed = true;
  setDescriptor();
}

void Buffer::setDescriptor() {
  size_t rank = dims.size();
  desc.assign(3 + 2 * rank, 0);
  desc[0] = reinterpret_cast<int64_t>(allocated);
  desc[1] = reinterpret_cast<int64_t>(aligned);
  desc[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    desc[3 + i] = dims[i];
    desc[3 + rank + i] = stride;
    stride *= dims[i];
  }
}

Tensor Buffer::toTensor() const {
  Tensor t;
  t.dtype = type;
  t.shape = dims;
  const uint8_t *p = static_cast<const uint8_t *>(aligned);
  t.bytes.assign(p, p + bytes);
  return t;
}

bool Buffer::copyFrom(const Tensor &t, std::string *error) {
  if (t.dtype != type || t.bytes.size() != bytes) {
    *error = "cannot copy a " + std::string(dtypeName(t.dtype)) + " " +
             shapeToString(t.shape) + " tensor into a " +
             dtypeName(type) + " " + shapeToString(dims) + " buffer";
    return false;
  }
  if (bytes) // zero-size buffers may have no storage
    std::memcpy(aligned, t.bytes.data(), bytes);
  return true;
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

/// Whether memory of `owner` can be passed to code compiled for `dev`
/// (host memory for the CPU; any buffer of a device of the same kind: all
/// CUDA devices here share the runtime's context).
static bool sameMemory(const std::shared_ptr<MemorySpace> &owner,
                       const std::shared_ptr<MemorySpace> &dev) {
  if (!owner || !dev)
    return !owner && !dev;
  return owner->memoryKind() == dev->memoryKind();
}

static bool sameShape(const Buffer &b, const TensorSpec &s) {
  return b.dtype() == s.dtype && b.shape() == s.shape;
}

/// Copies a (possibly strided) memref described by `desc` into `dst`.
static void copyStrided(const int64_t *desc, size_t rank, size_t elem,
                        uint8_t *dst) {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(desc[1]) +
                        desc[2] * int64_t(elem);
  const int64_t *sizes = desc + 3, *strides = desc + 3 + rank;
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i)
    n *= sizes[i];
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t i = rank; i-- > 0;) {
    if (sizes[i] != 1 && strides[i] != expect)
      contiguous = false;
    expect *= sizes[i];
  }
  if (contiguous) {
    if (n)
      std::memcpy(dst, base, size_t(n) * elem);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (size_t i = 0; i < rank; ++i)
      off += idx[i] * strides[i];
    std::memcpy(dst + size_t(k) * elem, base + off * int64_t(elem), elem);
    for (size_t i = rank; i-- > 0;) {
      if (++idx[i] < sizes[i])
        break;
      idx[i] = 0;
    }
  }
}

bool flops::rt::callPacked(PackedEntry &entry,
                           const std::shared_ptr<MemorySpace> &dev,
                           const std::vector<ArgValue> &args,
                           const std::vector<Buffer *> &results,
                           std::string *error) {
  PackedEntry *e = &entry;
  const FunctionSignature &sig = e->sig;
  if (args.size() != sig.args.size() || results.size() != sig.results.size()) {
    *error = "@" + sig.name + " takes " + std::to_string(sig.args.size()) +
             " arguments and " + std::to_string(sig.results.size()) +
             " results, got " + std::to_string(args.size()) + " and " +
             std::to_string(results.size());
    return false;
  }
  size_t nArgs = args.size(), nRes = results.size();
  e->packed.clear();
  e->packed.reserve(nArgs + nRes + 1);
  e->descPtrs.assign(nArgs + nRes + 1, nullptr);
  e->scalars.assign(nArgs, 0);
  size_t slot = 0;
  if (!e->outParams && nRes) {
    size_t words = 0;
    for (const TensorSpec &s : sig.results)
      words += 3 + 2 * s.shape.size();
    e->resultStruct.assign(words, 0);
    e->descPtrs[slot] = e->resultStruct.data();
    e->packed.push_back(&e->descPtrs[slot++]);
  }
  for (size_t i = 0; i < nArgs; ++i) {
    const TensorSpec &s = sig.args[i];
    if (s.scalar) {
      void *p = &e->scalars[i];
      switch (s.dtype) {
      case DType::F32: {
        float v = float(args[i].f);
        std::memcpy(p, &v, sizeof v);
        break;
      }
      case DType::F64:
        std::memcpy(p, &args[i].f, sizeof(double));
        break;
      case DType::I32: {
        int32_t v = int32_t(args[i].i);
        std::memcpy(p, &v, sizeof v);
        break;
      }
      default:
        std::memcpy(p, &args[i].i, sizeof(int64_t));
        break;
      }
      e->packed.push_back(p);
      continue;
    }
    if (!args[i].buffer || !sameShape(*args[i].buffer, s)) {
      *error = "@" + sig.name + " argument " + std::to_string(i) + " (" +
               s.name + ") needs a " + s.str() + " buffer";
      return false;
    }
    if (!sameMemory(args[i].buffer->device(), dev)) {
      *error = "@" + sig.name + " argument " + std::to_string(i) + " (" +
               s.name + ") is not in the memory of the " +
               (dev ? "CUDA device" : "host");
      return false;
    }
    e->descPtrs[slot] = args[i].buffer->descriptor();
    e->packed.push_back(&e->descPtrs[slot++]);
  }
  for (size_t i = 0; i < nRes; ++i) {
    if (!results[i] || !sameShape(*results[i], sig.results[i])) {
      *error = "@" + sig.name + " result " + std::to_string(i) + " (" +
               sig.results[i].name + ") needs a " + sig.results[i].str() +
               " buffer";
      return false;
    }
    if (!sameMemory(results[i]->device(), dev)) {
      *error = "@" + sig.name + " result " + std::to_string(i) + " (" +
               sig.results[i].name + ") is not in the memory of the " +
               (dev ? "CUDA device" : "host");
      return false;
    }
    if (e->outParams) {
      e->descPtrs[slot] = results[i]->descriptor();
      e->packed.push_back(&e->descPtrs[slot++]);
    }
  }

  // A runtime call inside the function that fails (CInterface.h) returns a
  // status the generated code does not check: it is recorded, and the call
  // fails here with its message.
  collectCallErrors(true);
  takeCallError(nullptr);
  e->fn(e->packed.data());
  std::string callError;
  bool callFailed = takeCallError(&callError);
  if (callFailed)
    *error = "@" + sig.name + ": a runtime call failed: " + callError;

  if (e->outParams || !nRes)
    return !callFailed;
  // Returned results: copy into the caller's buffers, free the function's
  // allocations (each once; never one of the caller's buffers).
  std::set<const void *> callerOwned, freed;
  for (const ArgValue &a : args)
    if (a.buffer)
      callerOwned.insert(a.buffer->data());
  for (Buffer *r : results)
    callerOwned.insert(r->data());
  const int64_t *d = e->resultStruct.data();
  bool ok = true;
  for (size_t i = 0; i < nRes; ++i) {
    const TensorSpec &s = sig.results[i];
    size_t rank = s.shape.size();
    for (size_t k = 0; k < rank; ++k)
      if (d[3 + k] != s.shape[k])
        ok = false;
    if (ok)
      copyStrided(d, rank, dtypeSize(s.dtype),
                  static_cast<uint8_t *>(results[i]->data()));
    void *alloc = reinterpret_cast<void *>(d[0]);
    if (alloc && !callerOwned.count(reinterpret_cast<void *>(d[1])) &&
        freed.insert(alloc).second)
      std::free(alloc);
    d += 3 + 2 * rank;
  }
  if (callFailed)
    return false;
  if (!ok)
    *error = "@" + sig.name + " returned a result whose shape differs from "
                              "its signature";
  return ok;
}

namespace {
template <typename From, typename To>
void convertLoop(const Tensor &in, Tensor *out, double scale) {
  const From *src = in.data<From>();
  To *dst = out->data<To>();
  int64_t n = in.numElements();
  for (int64_t i = 0; i < n; ++i)
    dst[i] = scale == 1.0 ? static_cast<To>(src[i])
                          : static_cast<To>(double(src[i]) * scale);
}

template <typename From>
void convertFrom(const Tensor &in, Tensor *out, double scale) {
  switch (out->dtype) {
  case DType::F32:
    return convertLoop<From, float>(in, out, scale);
  case DType::F64:
    return convertLoop<From, double>(in, out, scale);
  case DType::I32:
    return convertLoop<From, int32_t>(in, out, scale);
  case DType::I64:
    return convertLoop<From, int64_t>(in, out, scale);
  case DType::U8:
    return convertLoop<From, uint8_t>(in, out, scale);
  }
}

bool isFloat(DType t) { return t == DType::F32 || t == DType::F64; }
} // namespace

bool flops::rt::convertTensor(const Tensor &in, DType to,
                                        bool u8AsUnit, Tensor *out,
                                        std::string *error) {
  if (in.dtype == to) {
    *out = in;
    return true;
  }
  if (isFloat(in.dtype) && !isFloat(to)) {
    *error = std::string("cannot convert ") + dtypeName(in.dtype) +
             " values to " + dtypeName(to);
    return false;
  }
  // Integer -> narrower integer (token ids into an i32 argument): every
  // value must fit; nothing is truncated silently.
  if (!isFloat(in.dtype) && !isFloat(to)) {
    int64_t lo = to == DType::U8 ? 0
                 : to == DType::I32 ? INT32_MIN : INT64_MIN;
    int64_t hi = to == DType::U8 ? 255
                 : to == DType::I32 ? INT32_MAX : INT64_MAX;
    Tensor wide;
    const Tensor *src = &in;
    if (in.dtype != DType::I64) {
      if (!makeTensor(DType::I64, in.shape, &wide, error))
        return false;
      switch (in.dtype) {
      case DType::I32: convertLoop<int32_t, int64_t>(in, &wide, 1.0); break;
      case DType::U8: convertLoop<uint8_t, int64_t>(in, &wide, 1.0); break;
      default: break;
      }
      src = &wide;
    }
    const int64_t *v = src->data<int64_t>();
    for (int64_t i = 0, n = in.numElements(); i < n; ++i)
      if (v[i] < lo || v[i] > hi) {
        *error = std::string("value ") + std::to_string(v[i]) + " at index " +
                 std::to_string(i) + " does not fit " + dtypeName(to);
        return false;
      }
  }
  if (!makeTensor(to, in.shape, out, error))
    return false;
  double scale = u8AsUnit && in.dtype == DType::U8 && isFloat(to)
                     ? 1.0 / 255.0
                     : 1.0;
  switch (in.dtype) {
  case DType::F32:
    convertFrom<float>(in, out, scale);
    break;
  case DType::F64:
    convertFrom<double>(in, out, scale);
    break;
  case DType::I32:
    convertFrom<int32_t>(in, out, scale);
    break;
  case DType::I64:
    convertFrom<int64_t>(in, out, scale);
    break;
  case DType::U8:
    convertFrom<uint8_t>(in, out, scale);
    break;
  }
  return true;
}

int64_t flops::rt::rowElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

std::string flops::rt::rowShape(const std::vector<int64_t> &shape) {
  if (shape.size() <= 1)
    return "scalar";
  std::string s;
  for (size_t i = 1; i < shape.size(); ++i)
    s += (i > 1 ? "x" : "") + std::to_string(shape[i]);
  return s;
}

bool flops::rt::fillParameter(const TensorSpec &spec,
                                        const SafeTensors *file,
                                        const std::string &fileName,
                                        InitKind init, uint64_t seed,
                                        uint32_t stream, Buffer *dst,
                                        std::string *error) {
  if (spec.dtype != DType::F32 && spec.dtype != DType::F64) {
    *error = "parameter '" + spec.name + "' has type " + spec.str() +
             "; only float parameters are supported";
    return false;
  }
  if (file) {
    const Tensor *t = file->find(spec.name);
    if (!t) {
      *error = fileName + ": no tensor '" + spec.name + "' (the model's " +
               "parameter " + spec.str() + ")";
      return false;
    }
    if (t->shape != spec.shape) {
      *error = fileName + ": tensor '" + spec.name + "' has shape " +
               shapeToString(t->shape) + ", the model expects " +
               spec.str();
      return false;
    }
    Tensor c;
    if (!convertTensor(*t, spec.dtype, false, &c, error)) {
      *error = fileName + ": tensor '" + spec.name + "': " + *error;
      return false;
    }
    return dst->copyFrom(c, error);
  }
  InitKind kind = spec.shape.size() >= 2 ? init : InitKind::Zeros;
  Tensor t;
  if (!initParameter(kind, spec.shape, seed, stream, &t, error)) {
    *error = "initialising '" + spec.name + "': " + *error;
    return false;
  }
  Tensor c;
  if (!convertTensor(t, spec.dtype, false, &c, error))
    return false;
  return dst->copyFrom(c, error);
}

bool flops::rt::PingPongState::allocate(const FunctionSignature &fn,
                                                  unsigned numState,
                                                  std::string *error,
                                                  std::shared_ptr<MemorySpace> device,
                                                  bool alias) {
  inPlace = alias;
  for (int s = 0; s < 2; ++s) {
    sets[s].clear();
    if (s == 1 && inPlace)
      break;
    sets[s].resize(numState);
    for (unsigned i = 0; i < numState; ++i)
      if (!sets[s][i].allocate(fn.args[i], error, device))
        return false;
  }
  for (int s = 0; s < 2; ++s) {
    std::vector<Buffer> &from = sets[inPlace ? 0 : s];
    std::vector<Buffer> &to = sets[inPlace ? 0 : 1 - s];
    args[s].assign(fn.args.size(), ArgValue());
    results[s].clear();
    for (unsigned i = 0; i < numState; ++i) {
      args[s][i] = ArgValue::of(from[i]);
      results[s].push_back(&to[i]);
    }
  }
  return true;
}

bool flops::rt::stepUpdatesInPlace(const FunctionSignature &fn) {
  if (!fn.attrs.count("flops.in_place_state"))
    return false;
  const char *env = std::getenv("FLOPS_STATE_PING_PONG");
  return !(env && std::strcmp(env, "1") == 0);
}

//===----------------------------------------------------------------------===//
// Text form of signatures
//===----------------------------------------------------------------------===//

/// Percent-encodes bytes that would break the word/line structure.
static std::string encodeWord(const std::string &s) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '%' || c >= 127) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out.empty() ? "%" : out; // "%" alone: the empty string
}

static bool decodeWord(const std::string &s, std::string *out) {
  out->clear();
  if (s == "%")
    return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    if (i + 2 >= s.size())
      return false;
    char h[3] = {s[i + 1], s[i + 2], 0};
    char *end = nullptr;
    long v = std::strtol(h, &end, 16);
    if (end != h + 2)
      return false;
    *out += char(v);
    i += 2;
  }
  return true;
}

static bool dtypeFromName(const std::string &s, DType *t) {
  for (DType d : {DType::F32, DType::F64, DType::I32, DType::I64, DType::U8})
    if (s == mlirTypeName(d)) {
      *t = d;
      return true;
    }
  return false;
}

static void printSpec(std::ostringstream &os, const char *kind,
                      const TensorSpec &s) {
  os << kind << ' ' << encodeWord(s.role) << ' ' << encodeWord(s.name) << ' '
     << mlirTypeName(s.dtype) << ' ' << (s.scalar ? 1 : 0) << ' '
     << s.shape.size();
  for (int64_t d : s.shape)
    os << ' ' << d;
  os << '\n';
}

std::string flops::rt::printSignature(const FunctionSignature &sig) {
  std::ostringstream os;
  os << "func " << encodeWord(sig.name) << '\n';
  for (const TensorSpec &s : sig.args)
    printSpec(os, "arg", s);
  for (const TensorSpec &s : sig.results)
    printSpec(os, "res", s);
  for (const auto &[k, v] : sig.attrs)
    os << "attr " << encodeWord(k) << ' ' << encodeWord(v) << '\n';
  os << "end\n";
  return os.str();
}

bool flops::rt::parseSignatures(const std::string &text,
                                std::vector<FunctionSignature> *out,
                                std::string *error) {
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  FunctionSignature *cur = nullptr;
  auto bad = [&](const std::string &why) {
    *error = "malformed signature text at line " + std::to_string(lineNo) +
             ": " + why + " ('" + line + "')";
    return false;
  };
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty())
      continue;
    std::istringstream ws(line);
    std::string kind;
    ws >> kind;
    if (kind == "func") {
      if (cur)
        return bad("'func' inside a function");
      std::string name;
      if (!(ws >> name))
        return bad("no name");
      out->emplace_back();
      cur = &out->back();
      if (!decodeWord(name, &cur->name))
        return bad("bad escape");
    } else if (kind == "arg" || kind == "res") {
      if (!cur)
        return bad("outside a function");
      TensorSpec s;
      std::string role, name, dtype;
      int scalar = 0;
      size_t rank = 0;
      if (!(ws >> role >> name >> dtype >> scalar >> rank) ||
          !decodeWord(role, &s.role) || !decodeWord(name, &s.name) ||
          !dtypeFromName(dtype, &s.dtype) || rank > 64)
        return bad("expected ROLE NAME DTYPE SCALAR RANK DIMS...");
      s.scalar = scalar != 0;
      s.shape.resize(rank);
      for (int64_t &d : s.shape)
        if (!(ws >> d) || d < 0)
          return bad("bad extent");
      (kind == "arg" ? cur->args : cur->results).push_back(std::move(s));
    } else if (kind == "attr") {
      if (!cur)
        return bad("outside a function");
      std::string k, v, dk, dv;
      if (!(ws >> k >> v) || !decodeWord(k, &dk) || !decodeWord(v, &dv))
        return bad("expected KEY VALUE");
      cur->attrs[dk] = dv;
    } else if (kind == "end") {
      if (!cur)
        return bad("'end' outside a function");
      cur = nullptr;
    } else {
      return bad("unknown line");
    }
  }
  if (cur)
    return bad("missing 'end'");
  return true;
}
