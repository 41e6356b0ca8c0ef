//===- SafeTensors.cpp - safetensors parameter/checkpoint files -----------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/FileIO.h"
#include "flops/Runtime/Json.h"

#include <algorithm>
#include <cstring>
#include <new>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime's file formats assume a little-endian host"
#endif

using namespace flops::rt;

namespace {

constexpr uint64_t kMaxHeader = 100000000; // As the reference implementation.
const char kMetadataKey[] = "__metadata__";

void setError(std::string *error, std::string msg) {
  if (error)
    *error = std::move(msg);
}

bool dtypeFromString(const std::string &s, DType *out) {
  if (s == "F32")
    *out = DType::F32;
  else if (s == "F64")
    *out = DType::F64;
  else if (s == "I32")
    *out = DType::I32;
  else if (s == "I64")
    *out = DType::I64;
  else if (s == "U8")
    *out = DType::U8;
  else
    return false;
  return true;
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

/// Validates one tensor entry of the header; `why` gets the problem.
bool parseEntry(const std::string &name, const JsonValue &v, Entry *e,
                std::string *why) {
  e->name = name;
  if (!v.isObject()) {
    *why = "is not a JSON object";
    return false;
  }
  const JsonValue *dtype = v.find("dtype");
  const JsonValue *shape = v.find("shape");
  const JsonValue *offsets = v.find("data_offsets");
  if (!dtype || !shape || !offsets) {
    *why = std::string("lacks \"") +
           (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "\"";
    return false;
  }
  if (!dtype->isString()) {
    *why = "has a non-string \"dtype\"";
    return false;
  }
  if (!dtypeFromString(dtype->text, &e->dtype)) {
    *why = "has unsupported dtype \"" + dtype->text +
           "\" (supported: F32, F64, I32, I64, U8)";
    return false;
  }
  if (!shape->isArray()) {
    *why = "has a \"shape\" that is not an array";
    return false;
  }
  e->shape.clear();
  for (const JsonValue &d : shape->items) {
    uint64_t x;
    if (!d.getUint64(&x) || x > uint64_t(INT64_MAX)) {
      *why = "has a \"shape\" entry that is not a non-negative integer";
      return false;
    }
    e->shape.push_back(static_cast<int64_t>(x));
  }
  if (!offsets->isArray() || offsets->items.size() != 2 ||
      !offsets->items[0].getUint64(&e->begin) ||
      !offsets->items[1].getUint64(&e->end)) {
    *why = "has \"data_offsets\" that are not two non-negative integers";
    return false;
  }
  if (e->end < e->begin) {
    *why = "has data_offsets [" + std::to_string(e->begin) + ", " +
           std::to_string(e->end) + "] with end before begin";
    return false;
  }
  uint64_t n, bytes;
  if (!shapeSize(e->shape, dtypeSize(e->dtype), &n, &bytes)) {
    *why = "has a shape " + shapeToString(e->shape) + " that overflows";
    return false;
  }
  if (bytes != e->end - e->begin) {
    *why = "has shape " + shapeToString(e->shape) + " of " + dtype->text +
           " (" + std::to_string(bytes) + " bytes) but data_offsets [" +
           std::to_string(e->begin) + ", " + std::to_string(e->end) +
           "] span " + std::to_string(e->end - e->begin) + " bytes";
    return false;
  }
  return true;
}

} // namespace

const Tensor *SafeTensors::find(const std::string &name) const {
  for (const NamedTensor &t : tensors)
    if (t.name == name)
      return &t.tensor;
  return nullptr;
}

Tensor *SafeTensors::find(const std::string &name) {
  for (NamedTensor &t : tensors)
    if (t.name == name)
      return &t.tensor;
  return nullptr;
}

const char *flops::rt::safetensorsDType(DType t) {
  switch (t) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  case DType::U8:
    return "U8";
  }
  return "?";
}

bool flops::rt::parseSafeTensors(const uint8_t *data, size_t size,
                                 const std::string &name, SafeTensors *out,
                                 std::string *error) {
  try {
    if (size < 8) {
      setError(error, name + ": truncated safetensors file: " +
                          std::to_string(size) +
                          " bytes, too short for the 8-byte header length");
      return false;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
      n |= uint64_t(data[i]) << (8 * i);
    if (n > kMaxHeader) {
      setError(error, name + ": corrupt safetensors file: header length " +
                          std::to_string(n) + " exceeds the 100 MB limit");
      return false;
    }
    if (n > size - 8) {
      setError(error, name + ": truncated safetensors file: the header "
                             "declares " +
                          std::to_string(n) + " bytes, only " +
                          std::to_string(size - 8) + " follow");
      return false;
    }
    std::string_view text(reinterpret_cast<const char *>(data + 8),
                          static_cast<size_t>(n));
    if (text.empty() || text[0] != '{') {
      setError(error, name + ": corrupt safetensors header: it does not "
                             "start with '{'");
      return false;
    }
    JsonValue root;
    std::string why;
    if (!parseJson(text, &root, &why)) {
      setError(error, name + ": corrupt safetensors header: invalid JSON " +
                          why);
      return false;
    }
    const uint8_t *buffer = data + 8 + n;
    uint64_t bufferSize = size - 8 - n;

    SafeTensors result;
    std::vector<Entry> entries;
    for (size_t i = 0; i < root.keys.size(); ++i) {
      const std::string &key = root.keys[i];
      const JsonValue &v = root.items[i];
      if (key == kMetadataKey) {
        if (!v.isObject()) {
          setError(error, name + ": corrupt safetensors header: "
                                 "\"__metadata__\" is not an object");
          return false;
        }
        for (size_t j = 0; j < v.keys.size(); ++j) {
          if (!v.items[j].isString()) {
            setError(error, name + ": corrupt safetensors header: metadata "
                                   "value \"" +
                                v.keys[j] + "\" is not a string");
            return false;
          }
          result.metadata[v.keys[j]] = v.items[j].text;
        }
        continue;
      }
      Entry e;
      if (!parseEntry(key, v, &e, &why)) {
        setError(error, name + ": tensor \"" + key + "\" " + why);
        return false;
      }
      if (e.end > bufferSize) {
        setError(error, name + ": truncated safetensors file: tensor \"" +
                            key + "\" needs data bytes [" +
                            std::to_string(e.begin) + ", " +
                            std::to_string(e.end) + ") but the data buffer "
                                                    "has only " +
                            std::to_string(bufferSize));
        return false;
      }
      entries.push_back(std::move(e));
    }

    // The tensors must tile the buffer: no overlap, hole or trailing bytes.
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) {
                       return a.begin < b.begin ||
                              (a.begin == b.begin && a.end < b.end);
                     });
    uint64_t cursor = 0;
    for (const Entry &e : entries) {
      if (e.begin != cursor) {
        setError(error, name + ": corrupt safetensors file: tensor \"" +
                            e.name + "\" data_offsets [" +
                            std::to_string(e.begin) + ", " +
                            std::to_string(e.end) + "] " +
                            (e.begin < cursor ? "overlap another tensor"
                                              : "leave a gap") +
                            " (expected to start at byte " +
                            std::to_string(cursor) + ")");
        return false;
      }
      cursor = e.end;
    }
    if (cursor != bufferSize) {
      setError(error, name + ": size mismatch in safetensors file: the "
                             "tensors cover " +
                          std::to_string(cursor) +
                          " data bytes but the file has " +
                          std::to_string(bufferSize));
      return false;
    }

    for (Entry &e : entries) {
      Tensor t;
      std::string allocError;
      if (!makeTensor(e.dtype, e.shape, &t, &allocError)) {
        setError(error, name + ": tensor \"" + e.name + "\": " + allocError);
        return false;
      }
      if (e.end > e.begin)
        std::memcpy(t.bytes.data(), buffer + e.begin, e.end - e.begin);
      result.add(std::move(e.name), std::move(t));
    }
    *out = std::move(result);
  } catch (const std::bad_alloc &) {
    setError(error, name + ": out of memory reading the safetensors file");
    return false;
  }
  return true;
}

bool flops::rt::readSafeTensors(const std::string &path, SafeTensors *out,
                                std::string *error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, &bytes, error))
    return false;
  return parseSafeTensors(bytes.data(), bytes.size(), path, out, error);
}

bool flops::rt::encodeSafeTensorsHeader(const SafeTensors &st,
                                        std::vector<uint8_t> *out,
                                        std::string *error) {
  try {
    std::string json = "{";
    bool first = true;
    if (!st.metadata.empty()) {
      appendJsonString(json, kMetadataKey);
      json += ":{";
      bool firstMeta = true;
      for (const auto &kv : st.metadata) {
        if (!firstMeta)
          json += ',';
        firstMeta = false;
        appendJsonString(json, kv.first);
        json += ':';
        appendJsonString(json, kv.second);
      }
      json += '}';
      first = false;
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < st.tensors.size(); ++i) {
      const NamedTensor &nt = st.tensors[i];
      if (nt.name.empty() || nt.name == kMetadataKey) {
        setError(error, "invalid tensor name \"" + nt.name + "\"");
        return false;
      }
      for (size_t j = 0; j < i; ++j)
        if (st.tensors[j].name == nt.name) {
          setError(error, "duplicate tensor name \"" + nt.name + "\"");
          return false;
        }
      uint64_t n, bytes;
      if (!shapeSize(nt.tensor.shape, dtypeSize(nt.tensor.dtype), &n, &bytes) ||
          bytes != nt.tensor.bytes.size()) {
        setError(error, "tensor \"" + nt.name + "\" is inconsistent: shape " +
                            shapeToString(nt.tensor.shape) + " of " +
                            dtypeName(nt.tensor.dtype) + " but " +
                            std::to_string(nt.tensor.bytes.size()) + " bytes");
        return false;
      }
      if (!first)
        json += ',';
      first = false;
      appendJsonString(json, nt.name);
      json += ":{\"dtype\":\"";
      json += safetensorsDType(nt.tensor.dtype);
      json += "\",\"shape\":[";
      for (size_t d = 0; d < nt.tensor.shape.size(); ++d) {
        if (d)
          json += ',';
        json += std::to_string(nt.tensor.shape[d]);
      }
      json += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
      offset += bytes;
    }
    json += '}';
    json.append((8 - json.size() % 8) % 8, ' '); // Data starts 8-aligned.
    if (json.size() > kMaxHeader) {
      setError(error, "safetensors header of " + std::to_string(json.size()) +
                          " bytes exceeds the 100 MB limit");
      return false;
    }
    out->resize(8 + json.size());
    uint64_t n = json.size();
    for (int i = 0; i < 8; ++i)
      (*out)[i] = uint8_t(n >> (8 * i));
    std::memcpy(out->data() + 8, json.data(), json.size());
  } catch (const std::bad_alloc &) {
    setError(error, "out of memory encoding a safetensors header");
    return false;
  }
  return true;
}

bool flops::rt::writeSafeTensors(const std::string &path, const SafeTensors &st,
                                 std::string *error) {
  std::vector<uint8_t> header;
  std::vector<ByteSpan> parts;
  try {
    std::string why;
    if (!encodeSafeTensorsHeader(st, &header, &why)) {
      setError(error, path + ": " + why);
      return false;
    }
    parts.push_back({header.data(), header.size()});
    for (const NamedTensor &nt : st.tensors)
      parts.push_back({nt.tensor.bytes.data(), nt.tensor.bytes.size()});
  } catch (const std::bad_alloc &) {
    setError(error, path + ": out of memory");
    return false;
  }
  return writeFileAtomic(path, parts, error);
}
