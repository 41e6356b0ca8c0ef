//===- ImporterImpl.h - internals of the ONNX importer ----------*- C++ -*-===//
//
// The importer state shared by the op families (one translation unit each):
// the value table, known constant and symbolic-shape contents, attribute
// accessors, error reporting, and the IR builders the families share.
//
// Symbolic extents. A dimension is a monomial `coeff * f1 * f2 ...` whose
// factors are index values (the `tensor.dim` of a graph input's dynamic
// extent, or an opaque value). Every tensor.empty / expand_shape the importer
// builds records the monomial of its dynamic sizes, so the extent of any
// value traces back to its factors and `Reshape(x, [batch, -1])` can divide
// `batch * 784` by `batch` to a static 784.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_LIB_IMPORT_ONNX_IMPORTERIMPL_H
#define FLOPS_LIB_IMPORT_ONNX_IMPORTERIMPL_H

#include "flops/Import/Onnx.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::flops::onnx_import {

/// A symbolic extent: coeff * product(factors). Factors are sorted.
struct SymDim {
  int64_t coeff = 1;
  SmallVector<Value, 1> factors;
  bool isStatic() const { return factors.empty(); }
  static SymDim constant(int64_t c) {
    SymDim d;
    d.coeff = c;
    return d;
  }
  bool operator==(const SymDim &o) const {
    return coeff == o.coeff && factors == o.factors;
  }
};
SymDim mulDims(const SymDim &a, const SymDim &b);
/// a / b when b's factors divide a's and the coefficients divide exactly.
std::optional<SymDim> divDims(const SymDim &a, const SymDim &b);

class Importer;
using OpHandler = std::function<LogicalResult(Importer &)>;
using OpTable = llvm::StringMap<OpHandler>;
void registerElementwiseOps(OpTable &table);
void registerLinearOps(OpTable &table);
void registerNormalizationOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerRecurrentOps(OpTable &table);
/// Evaluates the current node at import time when its inputs are known
/// (ConstantFold.cpp): true when its outputs were set, failure() after an
/// error on the node.
FailureOr<bool> foldNode(Importer &imp);

/// Body builder of a linalg.generic: block arguments (inputs then the
/// output) -> the value to yield.
using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

class Importer {
public:
  Importer(MLIRContext &ctx, const ImportOptions &options);

  bool run(::onnx::ModelProto &model, const std::string &name,
           ImportResult *out, std::string *error);

  // ---- the node being converted ----
  const ::onnx::NodeProto *node = nullptr;
  int64_t opset = 0;
  OpBuilder b;
  Location loc;

  /// Records the error for the current node; returns failure().
  LogicalResult fail(const Twine &reason);
  unsigned numInputs() const;
  /// Whether input i is present (not omitted / empty name).
  bool hasInput(unsigned i) const;
  unsigned numOutputs() const;
  bool hasOutput(unsigned i) const;
  /// Input i as a tensor value (materialises known constants); null after
  /// fail() when it is missing.
  Value input(unsigned i);
  /// The known constant contents of input i (constants, inline initializers,
  /// folded shape computations), or null.
  DenseElementsAttr constantInput(unsigned i);
  /// The known integer contents of input i (rank <= 1) with symbolic
  /// entries, or nullopt.
  /// `scalar` tells a rank-0 tensor from a rank-1 one. Only i64 contents.
  std::optional<SmallVector<SymDim>> symbolicInput(unsigned i,
                                                   bool *scalar = nullptr);
  /// Sets output i.
  LogicalResult setOutput(unsigned i, Value v);
  void setConstantOutput(unsigned i, DenseElementsAttr attr);
  void setSymbolicOutput(unsigned i, SmallVector<SymDim> dims,
                         bool scalar = false);

  // ---- attributes ----
  const ::onnx::AttributeProto *attr(StringRef name) const;
  int64_t attrInt(StringRef name, int64_t dflt) const;
  float attrFloat(StringRef name, float dflt) const;
  std::string attrString(StringRef name, StringRef dflt) const;
  std::optional<SmallVector<int64_t>> attrInts(StringRef name) const;

  // ---- shapes ----
  /// The extent of dimension i of v.
  SymDim dimOf(Value v, unsigned i);
  SmallVector<SymDim> dimsOf(Value v);
  /// An index value for `d` (cached; registered so dimOf traces it).
  Value materialize(const SymDim &d);
  OpFoldResult foldResult(const SymDim &d);
  /// The static extent or ShapedType::kDynamic.
  static int64_t staticExtent(const SymDim &d) {
    return d.isStatic() ? d.coeff : ShapedType::kDynamic;
  }
  /// tensor.empty of these extents.
  Value empty(ArrayRef<SymDim> dims, Type elementType);
  Value filled(ArrayRef<SymDim> dims, Type elementType, Attribute value);
  Value constantScalar(Type type, double value);

  // ---- generic builders (Builders.cpp) ----
  /// A linalg.generic over the output's iteration space plus `extraDims`
  /// (reduction loops) with explicit maps.
  Value generic(ArrayRef<Value> inputs, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iterators, const BodyFn &body);
  /// Numpy-broadcast elementwise op: fails on incompatible shapes.
  FailureOr<Value> elementwise(ArrayRef<Value> inputs, Type resultElement,
                               const BodyFn &body);
  /// Broadcast shape of the inputs (numpy rules).
  FailureOr<SmallVector<SymDim>> broadcastShape(ArrayRef<Value> inputs);
  /// Reduces `axes` (sorted, normalised) of x with `combine`, starting from
  /// `init`; keepdims keeps them as unit dimensions.
  Value reduce(Value x, ArrayRef<int64_t> axes, bool keepdims,
               Attribute init, const BodyFn &combine);
  /// Applies f(x, r) where r (the result of reduce with keepdims) is
  /// broadcast over the reduced axes.
  Value withReduced(Value x, Value reduced, Type resultElement,
                    const BodyFn &body);
  /// Reshape to `dims` (same number of elements) by collapse/expand.
  FailureOr<Value> reshape(Value x, ArrayRef<SymDim> dims);
  /// Inserts unit dimensions so that the result has them at `positions`
  /// (sorted positions in the result).
  Value insertUnitDims(Value x, ArrayRef<int64_t> positions);
  /// Removes unit dimensions at `positions` (sorted).
  Value dropUnitDims(Value x, ArrayRef<int64_t> positions);
  /// Broadcasts x to `dims` (numpy rules), materialising a copy.
  FailureOr<Value> broadcastTo(Value x, ArrayRef<SymDim> dims);
  /// Converts the element type (float<->float, int<->int, int<->float,
  /// i1).
  Value convert(Value x, Type to);
  /// Pads with a constant value; low/high per dimension.
  Value pad(Value x, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
            Attribute value);
  /// A copy of x through an arbitrary input map (transpose, slices...).
  Value copyWithMap(Value x, ArrayRef<SymDim> outDims, AffineMap inputMap);
  /// Normalises an axis into [0, rank); fails when out of range.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
  /// Whether the ONNX-inferred type of output i is known; checks the static
  /// extents of `v` against it (an error names both).
  LogicalResult checkInferred(unsigned i, Value v);

  MLIRContext &context() { return ctx; }
  const ImportOptions &options() const { return opts; }
  /// MLIR element type of an ONNX data type, or null.
  Type elementType(int32_t onnxType);

private:
  MLIRContext &ctx;
  ImportOptions opts;
  std::string err;
  llvm::StringMap<Value> values;
  llvm::StringMap<DenseElementsAttr> constants;
  llvm::StringMap<SmallVector<SymDim>> symbolic;
  llvm::StringSet<> scalarSymbolic;
  llvm::StringMap<const ::onnx::TypeProto *> inferred;
  DenseMap<Value, SymDim> indexDims; // index value -> its monomial
  std::map<std::pair<void *, int64_t>, Value> materialized;
  Block *entryBlock = nullptr;
  friend struct ImporterRunner;
  Value lookupOrMaterialize(const std::string &name);
};

/// TensorProto -> (element type, attribute). Error on unsupported types,
/// external data or sizes that disagree with the shape.
FailureOr<DenseElementsAttr> tensorProtoToAttr(MLIRContext &ctx,
                                               const ::onnx::TensorProto &t,
                                               std::string *error);

/// Float helpers for bodies.
inline bool isFloatType(Type t) { return isa<FloatType>(t); }
Type elementTypeOf(Value v);
int64_t rankOf(Value v);

} // namespace mlir::flops::onnx_import

#endif // FLOPS_LIB_IMPORT_ONNX_IMPORTERIMPL_H
