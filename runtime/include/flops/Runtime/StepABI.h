//===- StepABI.h - call boundary of compiled steps, without LLVM -*- C++ -*-===//
//
// What a host program needs to call a compiled FLOPS function, with no LLVM
// or MLIR library: the boundary types (TensorSpec, FunctionSignature), the
// caller-owned buffers with their memref descriptors (Buffer), and the
// packed call (callPacked). flops-train calls JIT'd function pointers
// through it (lib/Driver/Program.cpp); a program made by flops-compile calls
// its linked symbols through the same code (runtime/compiled/).
//
// Call ABI (docs/CLI.md, "The driver library"): one `void *` per C argument
// of `_mlir_ciface_<name>` (the packed wrapper `_flops_packed_<name>`):
//  - a tensor argument is a pointer to a pointer to a memref descriptor
//    {allocated, aligned, offset, sizes[rank], strides[rank]} (int64 words);
//  - a scalar is a pointer to its value;
//  - out-params (flops-lower-to-cpu): one descriptor pointer per result after
//    the arguments; returned results (flops-reference-to-llvm): a pointer to
//    a struct of result descriptors first.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_STEPABI_H
#define FLOPS_RUNTIME_STEPABI_H

#include "flops/Runtime/Init.h"
#include "flops/Runtime/SafeTensors.h"
#include "flops/Runtime/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flops::rt {

/// The static type of one argument or result at the call boundary.
struct TensorSpec {
  std::string role; // flops.role, or param / input / output for a forward
  std::string name; // flops.name, or a positional name
  DType dtype = DType::F32;
  std::vector<int64_t> shape; // static extents (empty for scalars, rank 0)
  bool scalar = false;        // passed by value (not a memref)

  int64_t numElements() const;
  size_t numBytes() const;
  /// "tensor<64x784xf32>", "f32", "i64".
  std::string str() const;
};

struct FunctionSignature {
  std::string name;
  std::vector<TensorSpec> args, results;
  std::map<std::string, std::string> attrs; // flops.* function attributes

  /// Indices of the arguments (results) whose role is `role`.
  std::vector<unsigned> argsWithRole(std::string_view role) const;
  std::vector<unsigned> resultsWithRole(std::string_view role) const;
  /// The one argument whose role is `role`; false (with a message naming
  /// the function and the count) when there is not exactly one.
  bool uniqueArgWithRole(std::string_view role, unsigned *idx,
                         std::string *error) const;
};

/// Makes the C library keep memory that compiled code frees for its next
/// allocations instead of handing it back to the system. A compiled step or
/// forward allocates its temporaries with malloc and frees them before it
/// returns; glibc unmaps large blocks (above its mmap threshold) and trims
/// the heap's top, so every call page-faults its buffers in again, which
/// costs more than the convolutions themselves in a MobileNetV2 forward
/// (docs/BENCHMARKS.md). This pins the mmap threshold at glibc's largest
/// (32 MiB on 64-bit) and turns trimming off. It does nothing when the
/// process's allocator is tuned already (MALLOC_MMAP_THRESHOLD_,
/// MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES in the environment) or when
/// FLOPS_RETAIN_FREED_MEMORY=0; true when it changed the settings. The
/// tools and compiled programs call it at start-up; a library (the Python
/// package) leaves the host process's allocator alone.
bool retainFreedHostMemory();

/// Memory that compiled code and the host both use (a CUDA device's managed
/// memory); null = host memory (aligned_alloc).
class MemorySpace {
public:
  virtual ~MemorySpace();
  /// Buffers of spaces with equal kinds may be passed to each other's code.
  virtual int memoryKind() const = 0;
  virtual void *allocate(size_t bytes, std::string *error) = 0;
  virtual void release(void *p) = 0;
};

/// A dense, row-major, 64-byte-aligned buffer with its memref descriptor.
/// Move-only.
class Buffer {
public:
  Buffer() = default;
  Buffer(Buffer &&other) noexcept;
  Buffer &operator=(Buffer &&other) noexcept;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer();

  /// (Re)allocates for `spec` (zero-filled), in `memory` when given.
  bool allocate(const TensorSpec &spec, std::string *error,
                std::shared_ptr<MemorySpace> memory = nullptr);
  /// Makes this a view of `data` (host memory the caller owns and keeps
  /// alive, dense row-major of `spec`'s type and shape): nothing is copied
  /// and nothing is freed (the Python binding passes numpy/DLPack arrays
  /// this way).
  void wrap(const TensorSpec &spec, void *data);
  void *data() { return aligned; }
  const void *data() const { return aligned; }
  template <typename T> T *as() { return static_cast<T *>(aligned); }
  template <typename T> const T *as() const {
    return static_cast<const T *>(aligned);
  }
  size_t numBytes() const { return bytes; }
  int64_t numElements() const;
  const std::vector<int64_t> &shape() const { return dims; }
  DType dtype() const { return type; }
  /// The memory this is in (null: host memory).
  const std::shared_ptr<MemorySpace> &device() const { return owner; }
  /// The memref descriptor (what the C interface takes a pointer to).
  void *descriptor() { return desc.data(); }
  /// A copy as a runtime tensor / from one of the same size.
  Tensor toTensor() const;
  bool copyFrom(const Tensor &t, std::string *error);

private:
  void release();
  void setDescriptor();
  void *allocated = nullptr;
  void *aligned = nullptr;
  size_t bytes = 0;
  DType type = DType::F32;
  std::vector<int64_t> dims;
  std::vector<int64_t> desc; // {alloc, aligned, offset, sizes, strides}
  std::shared_ptr<MemorySpace> owner;
  bool borrowed = false; // wrap(): not ours to free
};

/// One call argument: a buffer for a tensor argument, a value for a scalar.
struct ArgValue {
  Buffer *buffer = nullptr;
  int64_t i = 0;
  double f = 0.0;
  static ArgValue of(Buffer &b) {
    ArgValue a;
    a.buffer = &b;
    return a;
  }
  static ArgValue integer(int64_t v) {
    ArgValue a;
    a.i = v;
    return a;
  }
  static ArgValue real(double v) {
    ArgValue a;
    a.f = v;
    return a;
  }
};

/// A compiled entry: its packed wrapper, signature and result convention,
/// plus per-call scratch (not re-entrant).
struct PackedEntry {
  FunctionSignature sig;
  void (*fn)(void **) = nullptr;
  bool outParams = true;
  std::vector<void *> packed, descPtrs;
  std::vector<uint64_t> scalars;
  std::vector<int64_t> resultStruct;
};

/// Calls `e` with one ArgValue per argument and one buffer per result
/// (shapes must match the signature; results must not alias arguments;
/// buffers must be in `memory`'s kind of memory, or the host's for null).
bool callPacked(PackedEntry &e, const std::shared_ptr<MemorySpace> &memory,
                const std::vector<ArgValue> &args,
                const std::vector<Buffer *> &results, std::string *error);

/// Converts `in` to `to` (u8 scaled by 1/255 into floats when `u8AsUnit`);
/// integers must fit the target type.
bool convertTensor(const Tensor &in, DType to, bool u8AsUnit, Tensor *out,
                   std::string *error);

/// Two sets of training-state buffers and the argument/result lists of both
/// directions (state[s] in, state[1-s] out).
struct PingPongState {
  std::vector<Buffer> sets[2];
  std::vector<ArgValue> args[2];
  std::vector<Buffer *> results[2];
  /// One set serves as the arguments and the results of both directions
  /// (a step with flops.in_place_state); sets[1] stays empty.
  bool inPlace = false;
  /// `inPlace`: allocate one set (see above), else two.
  bool allocate(const FunctionSignature &fn, unsigned numState,
                std::string *error,
                std::shared_ptr<MemorySpace> memory = nullptr,
                bool inPlace = false);
  /// The set that holds the state after a step from set `cur`.
  int next(int cur) const { return inPlace ? cur : 1 - cur; }
};

/// Whether `fn` (a @train_step) may be passed the same buffers for its state
/// arguments and results (flops.in_place_state, spsa-in-place), unless the
/// environment sets FLOPS_STATE_PING_PONG=1 (two sets anyway: a debugging
/// knob that the in-place tests compare against).
bool stepUpdatesInPlace(const FunctionSignature &fn);

/// Fills parameter `spec` from `file` (if given) or by initialisation.
bool fillParameter(const TensorSpec &spec, const SafeTensors *file,
                   const std::string &fileName, InitKind init, uint64_t seed,
                   uint32_t stream, Buffer *dst, std::string *error);

/// Elements per row (dimension 0 is the batch).
int64_t rowElements(const std::vector<int64_t> &shape);
/// "28x28", or "scalar".
std::string rowShape(const std::vector<int64_t> &shape);

/// Text form of a signature (one line per argument/result/attribute), what
/// flops-compile embeds in a program; parseSignatures reads it back.
std::string printSignature(const FunctionSignature &sig);
/// Reads the signatures printed by printSignature (several, concatenated).
bool parseSignatures(const std::string &text,
                     std::vector<FunctionSignature> *out, std::string *error);

} // namespace flops::rt

#endif // FLOPS_RUNTIME_STEPABI_H
