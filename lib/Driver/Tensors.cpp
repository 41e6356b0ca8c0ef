//===- Tensors.cpp - host tensors for the driver tools --------------------===//

#include "flops/Driver/Tensors.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

using namespace mlir::flops::driver;
namespace rt = ::flops::rt;

namespace {
template <typename From, typename To>
void convertLoop(const rt::Tensor &in, rt::Tensor *out, double scale) {
  const From *src = in.data<From>();
  To *dst = out->data<To>();
  int64_t n = in.numElements();
  for (int64_t i = 0; i < n; ++i)
    dst[i] = scale == 1.0 ? static_cast<To>(src[i])
                          : static_cast<To>(double(src[i]) * scale);
}

template <typename From>
void convertFrom(const rt::Tensor &in, rt::Tensor *out, double scale) {
  switch (out->dtype) {
  case rt::DType::F32:
    return convertLoop<From, float>(in, out, scale);
  case rt::DType::F64:
    return convertLoop<From, double>(in, out, scale);
  case rt::DType::I32:
    return convertLoop<From, int32_t>(in, out, scale);
  case rt::DType::I64:
    return convertLoop<From, int64_t>(in, out, scale);
  case rt::DType::U8:
    return convertLoop<From, uint8_t>(in, out, scale);
  }
}

bool isFloat(rt::DType t) { return t == rt::DType::F32 || t == rt::DType::F64; }
} // namespace

bool mlir::flops::driver::convertTensor(const rt::Tensor &in, rt::DType to,
                                        bool u8AsUnit, rt::Tensor *out,
                                        std::string *error) {
  if (in.dtype == to) {
    *out = in;
    return true;
  }
  if (isFloat(in.dtype) && !isFloat(to)) {
    *error = std::string("cannot convert ") + rt::dtypeName(in.dtype) +
             " values to " + rt::dtypeName(to);
    return false;
  }
  // Integer -> narrower integer (token ids into an i32 argument): every
  // value must fit; nothing is truncated silently.
  if (!isFloat(in.dtype) && !isFloat(to)) {
    int64_t lo = to == rt::DType::U8 ? 0
                 : to == rt::DType::I32 ? INT32_MIN : INT64_MIN;
    int64_t hi = to == rt::DType::U8 ? 255
                 : to == rt::DType::I32 ? INT32_MAX : INT64_MAX;
    rt::Tensor wide;
    const rt::Tensor *src = &in;
    if (in.dtype != rt::DType::I64) {
      if (!rt::makeTensor(rt::DType::I64, in.shape, &wide, error))
        return false;
      switch (in.dtype) {
      case rt::DType::I32: convertLoop<int32_t, int64_t>(in, &wide, 1.0); break;
      case rt::DType::U8: convertLoop<uint8_t, int64_t>(in, &wide, 1.0); break;
      default: break;
      }
      src = &wide;
    }
    const int64_t *v = src->data<int64_t>();
    for (int64_t i = 0, n = in.numElements(); i < n; ++i)
      if (v[i] < lo || v[i] > hi) {
        *error = std::string("value ") + std::to_string(v[i]) + " at index " +
                 std::to_string(i) + " does not fit " + rt::dtypeName(to);
        return false;
      }
  }
  if (!rt::makeTensor(to, in.shape, out, error))
    return false;
  double scale = u8AsUnit && in.dtype == rt::DType::U8 && isFloat(to)
                     ? 1.0 / 255.0
                     : 1.0;
  switch (in.dtype) {
  case rt::DType::F32:
    convertFrom<float>(in, out, scale);
    break;
  case rt::DType::F64:
    convertFrom<double>(in, out, scale);
    break;
  case rt::DType::I32:
    convertFrom<int32_t>(in, out, scale);
    break;
  case rt::DType::I64:
    convertFrom<int64_t>(in, out, scale);
    break;
  case rt::DType::U8:
    convertFrom<uint8_t>(in, out, scale);
    break;
  }
  return true;
}

int64_t mlir::flops::driver::rowElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

std::string mlir::flops::driver::rowShape(const std::vector<int64_t> &shape) {
  if (shape.size() <= 1)
    return "scalar";
  std::string s;
  for (size_t i = 1; i < shape.size(); ++i)
    s += (i > 1 ? "x" : "") + std::to_string(shape[i]);
  return s;
}

bool mlir::flops::driver::fillParameter(const TensorSpec &spec,
                                        const rt::SafeTensors *file,
                                        const std::string &fileName,
                                        rt::InitKind init, uint64_t seed,
                                        uint32_t stream, Buffer *dst,
                                        std::string *error) {
  if (spec.dtype != rt::DType::F32 && spec.dtype != rt::DType::F64) {
    *error = "parameter '" + spec.name + "' has type " + spec.str() +
             "; only float parameters are supported";
    return false;
  }
  if (file) {
    const rt::Tensor *t = file->find(spec.name);
    if (!t) {
      *error = fileName + ": no tensor '" + spec.name + "' (the model's " +
               "parameter " + spec.str() + ")";
      return false;
    }
    if (t->shape != spec.shape) {
      *error = fileName + ": tensor '" + spec.name + "' has shape " +
               rt::shapeToString(t->shape) + ", the model expects " +
               spec.str();
      return false;
    }
    rt::Tensor c;
    if (!convertTensor(*t, spec.dtype, false, &c, error)) {
      *error = fileName + ": tensor '" + spec.name + "': " + *error;
      return false;
    }
    return dst->copyFrom(c, error);
  }
  rt::InitKind kind = spec.shape.size() >= 2 ? init : rt::InitKind::Zeros;
  rt::Tensor t;
  if (!rt::initParameter(kind, spec.shape, seed, stream, &t, error)) {
    *error = "initialising '" + spec.name + "': " + *error;
    return false;
  }
  rt::Tensor c;
  if (!convertTensor(t, spec.dtype, false, &c, error))
    return false;
  return dst->copyFrom(c, error);
}

bool mlir::flops::driver::PingPongState::allocate(const FunctionSignature &fn,
                                                  unsigned numState,
                                                  std::string *error,
                                                  std::shared_ptr<Device> device) {
  for (int s = 0; s < 2; ++s) {
    sets[s].resize(numState);
    for (unsigned i = 0; i < numState; ++i)
      if (!sets[s][i].allocate(fn.args[i], error, device))
        return false;
  }
  for (int s = 0; s < 2; ++s) {
    args[s].assign(fn.args.size(), ArgValue());
    results[s].clear();
    for (unsigned i = 0; i < numState; ++i) {
      args[s][i] = ArgValue::of(sets[s][i]);
      results[s].push_back(&sets[1 - s][i]);
    }
  }
  return true;
}
