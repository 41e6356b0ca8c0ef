//===- Importer.cpp - ONNX ModelProto -> @forward --------------------------===//
//
// Loads the model, runs ONNX shape inference, creates the function (data
// arguments, then parameters), converts the nodes in graph order through the
// op table of the families, and writes the module and its weights.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "flops/Runtime/FileIO.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace mlir;
using namespace mlir::flops;
using namespace mlir::flops::onnx_import;
namespace rt = ::flops::rt;

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

static const char *onnxTypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT: return "float";
  case onnx::TensorProto::UINT8: return "uint8";
  case onnx::TensorProto::INT8: return "int8";
  case onnx::TensorProto::UINT16: return "uint16";
  case onnx::TensorProto::INT16: return "int16";
  case onnx::TensorProto::INT32: return "int32";
  case onnx::TensorProto::INT64: return "int64";
  case onnx::TensorProto::STRING: return "string";
  case onnx::TensorProto::BOOL: return "bool";
  case onnx::TensorProto::FLOAT16: return "float16";
  case onnx::TensorProto::DOUBLE: return "double";
  case onnx::TensorProto::UINT32: return "uint32";
  case onnx::TensorProto::UINT64: return "uint64";
  case onnx::TensorProto::BFLOAT16: return "bfloat16";
  default: return "an unknown type";
  }
}

/// Bytes per element of the types the importer reads (0 = unsupported).
static size_t onnxElemSize(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: return 4;
  case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: return 8;
  case onnx::TensorProto::BOOL: case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8: return 1;
  default: return 0;
  }
}

/// The little-endian element bytes of `t` (raw_data or the typed field).
static bool tensorBytes(const onnx::TensorProto &t, std::vector<int64_t> *shape,
                        std::vector<uint8_t> *bytes, std::string *error) {
  std::string what = t.name().empty() ? std::string("tensor")
                                      : "tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    *error = what + " uses external data, which is not supported";
    return false;
  }
  size_t es = onnxElemSize(t.data_type());
  if (!es) {
    *error = what + " has element type " + onnxTypeName(t.data_type()) +
             ", which is not supported";
    return false;
  }
  shape->assign(t.dims().begin(), t.dims().end());
  uint64_t n = 0, nb = 0;
  for (int64_t d : *shape)
    if (d < 0) {
      *error = what + " has a negative extent";
      return false;
    }
  if (!rt::shapeSize(*shape, es, &n, &nb) || nb > (uint64_t(1) << 34)) {
    *error = what + " is too large";
    return false;
  }
  bytes->assign(nb, 0);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != nb) {
      *error = what + " has " + std::to_string(t.raw_data().size()) +
               " bytes of data but its shape needs " + std::to_string(nb);
      return false;
    }
    if (nb)
      std::memcpy(bytes->data(), t.raw_data().data(), nb);
    return true;
  }
  auto mismatch = [&](int64_t have) {
    *error = what + " has " + std::to_string(have) +
             " values but its shape needs " + std::to_string(n);
    return false;
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if ((uint64_t)t.float_data_size() != n) return mismatch(t.float_data_size());
    if (nb) // an empty repeated field has no storage
      std::memcpy(bytes->data(), t.float_data().data(), nb);
    return true;
  case onnx::TensorProto::DOUBLE:
    if ((uint64_t)t.double_data_size() != n) return mismatch(t.double_data_size());
    if (nb) // an empty repeated field has no storage
      std::memcpy(bytes->data(), t.double_data().data(), nb);
    return true;
  case onnx::TensorProto::INT64:
    if ((uint64_t)t.int64_data_size() != n) return mismatch(t.int64_data_size());
    if (nb) // an empty repeated field has no storage
      std::memcpy(bytes->data(), t.int64_data().data(), nb);
    return true;
  default: // int32, int8, uint8, bool live in int32_data
    if ((uint64_t)t.int32_data_size() != n) return mismatch(t.int32_data_size());
    for (uint64_t i = 0; i < n; ++i) {
      int32_t v = t.int32_data(i);
      std::memcpy(bytes->data() + i * es, &v, es); // little-endian truncation
    }
    return true;
  }
}

Type Importer::elementType(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::INT32: return b.getI32Type();
  case onnx::TensorProto::INT64: return b.getI64Type();
  case onnx::TensorProto::INT8: return b.getIntegerType(8);
  case onnx::TensorProto::BOOL: return b.getI1Type();
  default: return Type();
  }
}

FailureOr<DenseElementsAttr>
onnx_import::tensorProtoToAttr(MLIRContext &ctx, const onnx::TensorProto &t,
                               std::string *error) {
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  if (t.data_type() == onnx::TensorProto::UINT8) {
    *error = "tensor '" + t.name() + "' has element type uint8, which is "
             "not supported";
    return failure();
  }
  if (!tensorBytes(t, &shape, &bytes, error))
    return failure();
  OpBuilder b(&ctx);
  Type et;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT: et = b.getF32Type(); break;
  case onnx::TensorProto::DOUBLE: et = b.getF64Type(); break;
  case onnx::TensorProto::INT32: et = b.getI32Type(); break;
  case onnx::TensorProto::INT64: et = b.getI64Type(); break;
  case onnx::TensorProto::INT8: et = b.getIntegerType(8); break;
  case onnx::TensorProto::BOOL: {
    auto type = RankedTensorType::get(shape, b.getI1Type());
    SmallVector<bool> v(bytes.begin(), bytes.end());
    for (bool &x : v) x = x != 0;
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  default: break;
  }
  auto type = RankedTensorType::get(shape, et);
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size()));
}

bool onnx_import::readTensorProtoFile(const std::string &path, rt::Tensor *out,
                                      std::string *name, std::string *error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto t;
  if (!t.ParseFromString(ss.str())) {
    *error = path + ": not a valid TensorProto (malformed or truncated)";
    return false;
  }
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  if (!tensorBytes(t, &shape, &bytes, error)) {
    *error = path + ": " + *error;
    return false;
  }
  rt::DType dt;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT: dt = rt::DType::F32; break;
  case onnx::TensorProto::DOUBLE: dt = rt::DType::F64; break;
  case onnx::TensorProto::INT32: dt = rt::DType::I32; break;
  case onnx::TensorProto::INT64: dt = rt::DType::I64; break;
  case onnx::TensorProto::BOOL: case onnx::TensorProto::UINT8:
    dt = rt::DType::U8; break;
  default:
    *error = path + ": element type " + onnxTypeName(t.data_type()) +
             " is not supported";
    return false;
  }
  out->dtype = dt;
  out->shape = shape;
  out->bytes = std::move(bytes);
  if (name)
    *name = t.name();
  return true;
}

//===----------------------------------------------------------------------===//
// Importer state
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext &ctx, const ImportOptions &options)
    : b(&ctx), loc(UnknownLoc::get(&ctx)), ctx(ctx), opts(options) {}

static std::string nodeLabel(const onnx::NodeProto &n) {
  if (!n.name().empty())
    return n.name();
  if (n.output_size() && !n.output(0).empty())
    return "<unnamed, output '" + n.output(0) + "'>";
  return "<unnamed>";
}

LogicalResult Importer::fail(const Twine &reason) {
  if (err.empty()) {
    if (node)
      err = "node '" + nodeLabel(*node) + "' (" + node->op_type() +
            "): " + reason.str();
    else
      err = reason.str();
  }
  return failure();
}

unsigned Importer::numInputs() const { return node->input_size(); }
bool Importer::hasInput(unsigned i) const {
  return (int)i < node->input_size() && !node->input(i).empty();
}
unsigned Importer::numOutputs() const { return node->output_size(); }
bool Importer::hasOutput(unsigned i) const {
  return (int)i < node->output_size() && !node->output(i).empty();
}

Type onnx_import::elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
int64_t onnx_import::rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

Value Importer::lookupOrMaterialize(const std::string &name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto c = constants.find(name);
  if (c != constants.end()) {
    Value v = arith::ConstantOp::create(b, loc, c->second);
    values[name] = v;
    return v;
  }
  auto s = symbolic.find(name);
  if (s != symbolic.end()) {
    SmallVector<Value> elems;
    for (const SymDim &d : s->second)
      elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 materialize(d)));
    auto type = scalarSymbolic.contains(name)
                    ? RankedTensorType::get({}, b.getI64Type())
                    : RankedTensorType::get({(int64_t)elems.size()},
                                            b.getI64Type());
    Value v = tensor::FromElementsOp::create(b, loc, type, elems);
    values[name] = v;
    return v;
  }
  return Value();
}

Value Importer::input(unsigned i) {
  if (!hasInput(i)) {
    (void)fail("input #" + std::to_string(i) + " is missing");
    return Value();
  }
  Value v = lookupOrMaterialize(node->input(i));
  if (!v)
    (void)fail("input '" + node->input(i) + "' is not defined before use");
  return v;
}

DenseElementsAttr Importer::constantInput(unsigned i) {
  if (!hasInput(i))
    return {};
  auto c = constants.find(node->input(i));
  if (c != constants.end())
    return c->second;
  return {};
}

std::optional<SmallVector<SymDim>> Importer::symbolicInput(unsigned i,
                                                         bool *scalar) {
  if (!hasInput(i))
    return std::nullopt;
  auto s = symbolic.find(node->input(i));
  if (s != symbolic.end()) {
    if (scalar)
      *scalar = scalarSymbolic.contains(node->input(i));
    return s->second;
  }
  if (DenseElementsAttr c = constantInput(i)) {
    if (!c.getElementType().isInteger(64))
      return std::nullopt;
    if (cast<ShapedType>(c.getType()).getRank() > 1)
      return std::nullopt;
    if (scalar)
      *scalar = cast<ShapedType>(c.getType()).getRank() == 0;
    SmallVector<SymDim> out;
    for (APInt v : c.getValues<APInt>())
      out.push_back(SymDim::constant(v.getSExtValue()));
    return out;
  }
  return std::nullopt;
}

LogicalResult Importer::setOutput(unsigned i, Value v) {
  if (!hasOutput(i))
    return success();
  if (failed(checkInferred(i, v)))
    return failure();
  values[node->output(i)] = v;
  return success();
}

void Importer::setConstantOutput(unsigned i, DenseElementsAttr attr) {
  if (hasOutput(i))
    constants[node->output(i)] = attr;
}

void Importer::setSymbolicOutput(unsigned i, SmallVector<SymDim> dims,
                                 bool scalar) {
  if (!hasOutput(i))
    return;
  bool allStatic = llvm::all_of(dims, [](const SymDim &d) {
    return d.isStatic();
  });
  if (allStatic) {
    SmallVector<int64_t> v;
    for (const SymDim &d : dims) v.push_back(d.coeff);
    auto type = scalar ? RankedTensorType::get({}, b.getI64Type())
                       : RankedTensorType::get({(int64_t)v.size()},
                                               b.getI64Type());
    constants[node->output(i)] =
        DenseElementsAttr::get(type, ArrayRef<int64_t>(v));
    return;
  }
  symbolic[node->output(i)] = std::move(dims);
  if (scalar)
    scalarSymbolic.insert(node->output(i));
}

LogicalResult Importer::checkInferred(unsigned i, Value v) {
  auto it = inferred.find(node->output(i));
  if (it == inferred.end() || !it->second->has_tensor_type() ||
      !it->second->tensor_type().has_shape())
    return success();
  const auto &shape = it->second->tensor_type().shape();
  auto type = cast<RankedTensorType>(v.getType());
  auto str = [&]() {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    return s;
  };
  if (shape.dim_size() != type.getRank())
    return fail("inconsistent shape: output '" + node->output(i) +
                "' is " + str() + " but ONNX shape inference gives rank " +
                std::to_string(shape.dim_size()));
  for (int d = 0; d < shape.dim_size(); ++d)
    if (shape.dim(d).has_dim_value() && !type.isDynamicDim(d) &&
        shape.dim(d).dim_value() != type.getDimSize(d))
      return fail("inconsistent shape: output '" + node->output(i) +
                  "' is " + str() + " but ONNX shape inference gives " +
                  std::to_string(shape.dim(d).dim_value()) +
                  " for dimension " + std::to_string(d));
  return success();
}

const onnx::AttributeProto *Importer::attr(StringRef name) const {
  for (const auto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}
int64_t Importer::attrInt(StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}
float Importer::attrFloat(StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}
std::string Importer::attrString(StringRef name, StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}
std::optional<SmallVector<int64_t>> Importer::attrInts(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

void onnx_import::registerImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, arith::ArithDialect,
                  math::MathDialect>();
}

bool Importer::run(onnx::ModelProto &model, const std::string &name,
                   ImportResult *out, std::string *error) {
  auto bail = [&](const std::string &msg) {
    *error = name + ": " + msg;
    return false;
  };
  const onnx::GraphProto &graph = model.graph();
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (!opset)
    return bail("the model imports no version of the default ONNX opset");
  // Opset 7 made broadcasting numpy-style (before it, Add/Mul/... took a
  // `broadcast` attribute the importer does not read); a version newer than
  // the linked ONNX library knows may have changed any op's meaning.
  int64_t newest =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().at("")
          .second;
  if (opset < 1 || opset > newest)
    return bail("the model uses ONNX opset " + std::to_string(opset) +
                "; the importer reads opsets 1 to " + std::to_string(newest) +
                " (re-export it, e.g. torch.onnx.export(..., "
                "opset_version=17))");

  // Shape inference (strict: a node that fails names itself).
  try {
    onnx::ShapeInferenceOptions siOpts(/*check_type=*/false, /*error_mode=*/1,
                                       /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), siOpts);
  } catch (const std::exception &e) {
    return bail(std::string("ONNX shape inference failed: ") + e.what());
  }
  for (const auto &vi : graph.value_info())
    inferred[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    inferred[vi.name()] = &vi.type();

  // Initializers.
  std::set<std::string> initNames, inlineOnly, usedNames;
  for (const auto &t : graph.initializer())
    initNames.insert(t.name());
  // Identity outputs -> their inputs: torch.onnx (deduplicate_initializers)
  // replaces an initializer equal to another one by `Identity(other)`, so a
  // fresh BatchNorm's running variance (all ones) can be an Identity of its
  // weight, and its running mean (zeros) one of its bias.
  std::map<std::string, std::string> identitySource;
  for (const auto &n : graph.node())
    if (n.op_type() == "Identity" && n.input_size() == 1 &&
        n.output_size() == 1)
      identitySource[n.output(0)] = n.input(0);
  // Running statistics read through such an Identity -> the initializer
  // whose value they have: they become inline constants of that value
  // (frozen, as every running statistic), while the initializer stays a
  // parameter for its own (trainable) uses.
  std::map<std::string, std::string> frozenAliases;
  // Names read other than as a running statistic (those cannot be frozen).
  std::set<std::string> otherUses;
  for (const auto &n : graph.node())
    for (int i = 0; i < n.input_size(); ++i)
      if (n.op_type() != "BatchNormalization" || i < 3)
        otherUses.insert(n.input(i));
  for (const auto &o : graph.output())
    otherUses.insert(o.name());
  for (const auto &n : graph.node()) {
    for (const auto &in : n.input())
      usedNames.insert(in);
    // Running statistics are not trainable (and not linear in the output).
    if (n.op_type() == "BatchNormalization")
      for (int i = 3; i < n.input_size(); ++i) {
        std::string root = n.input(i);
        for (int hops = 0; hops < 64 && identitySource.count(root); ++hops)
          root = identitySource[root];
        if (root != n.input(i) && initNames.count(root) &&
            !otherUses.count(n.input(i)))
          frozenAliases[n.input(i)] = root;
        else
          inlineOnly.insert(n.input(i));
      }
  }
  for (const auto &o : graph.output())
    usedNames.insert(o.name());

  ModuleOp module = ModuleOp::create(loc);
  OwningOpRef<ModuleOp> owned(module);
  b.setInsertionPointToEnd(module.getBody());

  // Data arguments.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<bool> argIsParam;
  for (const auto &in : graph.input()) {
    if (initNames.count(in.name()))
      continue;
    auto bound = opts.constantInputs.find(in.name());
    if (bound != opts.constantInputs.end()) {
      const rt::Tensor &t = bound->second;
      Type et;
      switch (t.dtype) {
      case rt::DType::F32: et = b.getF32Type(); break;
      case rt::DType::F64: et = b.getF64Type(); break;
      case rt::DType::I32: et = b.getI32Type(); break;
      case rt::DType::I64: et = b.getI64Type(); break;
      default:
        return bail("graph input '" + in.name() +
                    "' cannot be bound to a uint8 constant");
      }
      auto type = RankedTensorType::get(t.shape, et);
      constants[in.name()] = DenseElementsAttr::getFromRawBuffer(
          type, ArrayRef<char>(reinterpret_cast<const char *>(t.bytes.data()),
                               t.bytes.size()));
      continue;
    }
    if (!in.type().has_tensor_type())
      return bail("graph input '" + in.name() + "' is not a tensor");
    const auto &tt = in.type().tensor_type();
    Type et = elementType(tt.elem_type());
    if (!et)
      return bail("graph input '" + in.name() + "' has element type " +
                  onnxTypeName(tt.elem_type()) + ", which is not supported");
    if (!tt.has_shape())
      return bail("graph input '" + in.name() + "' has no shape (rank)");
    SmallVector<int64_t> shape;
    for (const auto &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0)
        shape.push_back(d.dim_value());
      else
        shape.push_back(opts.staticBatch > 0 ? opts.staticBatch
                                             : ShapedType::kDynamic);
    }
    argTypes.push_back(RankedTensorType::get(shape, et));
    argNames.push_back(in.name());
    argIsParam.push_back(false);
  }
  unsigned numData = argTypes.size();

  // Parameters and inline constants.
  SmallVector<DenseElementsAttr> paramValues;
  for (const auto &t : graph.initializer()) {
    if (!usedNames.count(t.name()))
      continue;
    std::string msg;
    FailureOr<DenseElementsAttr> attr = tensorProtoToAttr(ctx, t, &msg);
    if (failed(attr))
      return bail("initializer '" + t.name() + "': " + msg);
    bool isParam = !opts.inlineInitializers && !inlineOnly.count(t.name()) &&
                   isa<FloatType>(attr->getElementType()) &&
                   attr->getNumElements() >= opts.minParamElements;
    // Non-finite values (an additive attention mask of -inf) are not
    // trainable weights: keep them inline.
    if (isParam)
      for (APFloat v : attr->getValues<APFloat>())
        if (!v.isFinite()) {
          isParam = false;
          break;
        }
    for (const auto &[alias, root] : frozenAliases)
      if (root == t.name())
        constants[alias] = *attr;
    if (!isParam) {
      constants[t.name()] = *attr;
      continue;
    }
    argTypes.push_back(attr->getType());
    argNames.push_back(t.name());
    argIsParam.push_back(true);
    paramValues.push_back(*attr);
  }

  auto fn = func::FuncOp::create(b, loc, opts.entry,
                                 b.getFunctionType(argTypes, {}));
  entryBlock = fn.addEntryBlock();
  for (unsigned i = 0; i < argTypes.size(); ++i) {
    fn.setArgAttr(i, "flops.name", b.getStringAttr(argNames[i]));
    if (argIsParam[i])
      fn.setArgAttr(i, "flops.param", b.getUnitAttr());
    values[argNames[i]] = entryBlock->getArgument(i);
  }
  b.setInsertionPointToEnd(entryBlock);

  // Nodes.
  OpTable table;
  registerElementwiseOps(table);
  registerLinearOps(table);
  registerNormalizationOps(table);
  registerShapeOps(table);
  registerRecurrentOps(table);
  for (const auto &n : graph.node()) {
    node = &n;
    loc = NameLoc::get(b.getStringAttr(nodeLabel(n) + ":" + n.op_type()));
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      (void)fail("op domain '" + n.domain() + "' is not supported");
      return bail(err);
    }
    // Before opset 7, binary ops broadcast only with a `broadcast`/`axis`
    // attribute pair and some ops took `consumed_inputs`; the handlers read
    // today's semantics, so those legacy forms are refused, not misread.
    if (opset < 7)
      for (const auto &a : n.attribute())
        if (a.name() == "broadcast" || a.name() == "consumed_inputs" ||
            (a.name() == "axis" && n.op_type() != "Concat" &&
             n.op_type() != "Softmax" && n.op_type() != "LogSoftmax" &&
             n.op_type() != "Flatten" && n.op_type() != "Gather" &&
             n.op_type() != "Split")) {
          (void)fail("attribute '" + a.name() + "' of opset " +
                     std::to_string(opset) +
                     " (legacy semantics before opset 7) is not supported; "
                     "re-export the model with opset >= 7");
          return bail(err);
        }
    // An Identity whose output is a frozen running statistic is already
    // that constant.
    if (n.op_type() == "Identity" && n.output_size() == 1 &&
        frozenAliases.count(n.output(0)))
      continue;
    for (int i = 0; i < n.input_size(); ++i)
      if (!n.input(i).empty() && !values.count(n.input(i)) &&
          !constants.count(n.input(i)) && !symbolic.count(n.input(i))) {
        (void)fail("input '" + n.input(i) + "' is not defined before use");
        return bail(err);
      }
    // Shape-only computations on known values fold to constants.
    FailureOr<bool> folded = foldNode(*this);
    if (failed(folded)) {
      if (err.empty())
        (void)fail("constant folding failed");
      return bail(err);
    }
    auto h = table.find(n.op_type());
    if (!*folded && h == table.end()) {
      (void)fail("unsupported op type");
      return bail(err);
    }
    if (!*folded && failed(h->second(*this))) {
      if (err.empty())
        (void)fail("conversion failed");
      return bail(err);
    }
    for (int i = 0; i < n.output_size(); ++i)
      if (!n.output(i).empty() && !values.count(n.output(i)) &&
          !constants.count(n.output(i)) && !symbolic.count(n.output(i))) {
        (void)fail("output #" + std::to_string(i) + " is not supported");
        return bail(err);
      }
  }
  node = nullptr;
  loc = UnknownLoc::get(&ctx);

  // Results.
  SmallVector<Value> results;
  for (const auto &o : graph.output()) {
    Value v = lookupOrMaterialize(o.name());
    if (!v)
      return bail("graph output '" + o.name() + "' is not produced by any "
                  "node (truncated or malformed graph?)");
    results.push_back(v);
  }
  if (results.empty())
    return bail("the graph has no outputs");
  func::ReturnOp::create(b, loc, results);
  fn.setType(b.getFunctionType(argTypes, TypeRange(ValueRange(results))));
  for (auto [i, o] : llvm::enumerate(graph.output()))
    fn.setResultAttr(i, "flops.name", b.getStringAttr(o.name()));

  // Verify (a failure here is an importer bug; report it, do not crash).
  std::string diag;
  {
    ScopedDiagnosticHandler h(&ctx, [&](Diagnostic &d) {
      llvm::raw_string_ostream os(diag);
      os << d.getLocation() << ": " << d << "\n";
      return success();
    });
    if (failed(mlir::verify(module)))
      return bail("internal error: the generated IR does not verify:\n" +
                  diag);
  }

  // Weights.
  out->weights = rt::SafeTensors();
  out->weights.metadata["format"] = "flops-params";
  out->weights.metadata["source"] = "flops-import-onnx";
  unsigned p = 0;
  for (unsigned i = 0; i < argTypes.size(); ++i) {
    if (!argIsParam[i])
      continue;
    DenseElementsAttr a = paramValues[p++];
    rt::Tensor t;
    std::vector<int64_t> shape(cast<ShapedType>(a.getType()).getShape().begin(),
                               cast<ShapedType>(a.getType()).getShape().end());
    std::string msg;
    if (a.getElementType().isF32()) {
      SmallVector<float> v(a.getValues<float>());
      if (!rt::makeTensor<float>(shape, v.data(), &t, &msg))
        return bail(msg);
    } else if (a.getElementType().isF64()) {
      SmallVector<double> v(a.getValues<double>());
      if (!rt::makeTensor<double>(shape, v.data(), &t, &msg))
        return bail(msg);
    } else {
      return bail("parameter '" + argNames[i] + "' is not f32/f64");
    }
    out->weights.add(argNames[i], std::move(t));
  }
  out->numParams = p;
  out->numInputs = numData;
  out->module = std::move(owned);
  return true;
}

bool onnx_import::importOnnxBytes(MLIRContext &ctx, const std::string &bytes,
                                  const std::string &name,
                                  const ImportOptions &options,
                                  ImportResult *out, std::string *error) {
  ctx.loadDialect<func::FuncDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, arith::ArithDialect,
                  math::MathDialect>();
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    *error = name + ": not a valid ONNX model (malformed or truncated "
                    "protobuf)";
    return false;
  }
  if (!model.has_graph()) {
    *error = name + ": the model has no graph";
    return false;
  }
  Importer imp(ctx, options);
  return imp.run(model, name, out, error);
}

bool onnx_import::importOnnxFile(MLIRContext &ctx, const std::string &path,
                                 const ImportOptions &options,
                                 ImportResult *out, std::string *error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + path;
    return false;
  }
  return importOnnxBytes(ctx, ss.str(), path, options, out, error);
}

std::string onnx_import::defaultWeightsPath(const std::string &mlirPath) {
  StringRef p(mlirPath);
  if (p.ends_with(".mlir"))
    return p.drop_back(5).str() + ".safetensors";
  return mlirPath + ".safetensors";
}

bool onnx_import::writeImport(const ImportResult &result,
                              const std::string &mlirPath,
                              const std::string &weightsPath,
                              std::string *error) {
  std::string text;
  {
    llvm::raw_string_ostream os(text);
    result.module.get()->print(os);
  }
  bool haveWeights = !result.weights.tensors.empty();
  if (haveWeights && !rt::writeSafeTensors(weightsPath, result.weights, error))
    return false;
  if (mlirPath == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return true;
  }
  std::string msg;
  if (!rt::writeFileAtomic(mlirPath, {rt::ByteSpan{text.data(), text.size()}}, &msg)) {
    *error = msg;
    if (haveWeights)
      std::remove(weightsPath.c_str());
    return false;
  }
  return true;
}
