//===- GPUContractionsToGemm.cpp - contractions as flopsGpuGemmF32 calls ---===//
//
// flops-gpu-contractions-to-gemm: contraction=cublas of flops-lower-to-cuda.
// Host-side linalg contractions on memrefs (left whole by
// flops-gpu-tile-and-distribute{tile-contractions=false}) become calls of
// the runtime's flopsGpuGemmF32 (row-major cuBLAS wrapper, ABI in
// docs/GPU-CODEGEN.md) on a stream of their own that is synchronised.
//
//===----------------------------------------------------------------------===//

#include "CodegenInternal.h"

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUCONTRACTIONSTOGEMMPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;
using namespace mlir::flops;

static constexpr llvm::StringLiteral kGemm = "flopsGpuGemmF32";

/// The dimension positions of the results of `map` (failure if one is not a
/// plain dimension).
static std::optional<SmallVector<unsigned>> dimsOf(AffineMap map) {
  SmallVector<unsigned> dims;
  for (AffineExpr e : map.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return std::nullopt;
    dims.push_back(d.getPosition());
  }
  return dims;
}

bool codegen::isGpuGemm(linalg::LinalgOp op, bool *transA, bool *transB) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.hasDynamicShape() || !linalg::isaContractionOpInterface(op))
    return false;
  FailureOr<linalg::ContractionDimensions> cd =
      linalg::inferContractionDims(op);
  if (failed(cd) || cd->m.size() != 1 || cd->n.size() != 1 ||
      cd->k.size() != 1 || cd->batch.size() > 1)
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return false;
  SmallVector<unsigned> batch(cd->batch.begin(), cd->batch.end());
  unsigned m = cd->m[0], n = cd->n[0], k = cd->k[0];
  auto expect = [&](ArrayRef<unsigned> tail) {
    SmallVector<unsigned> dims = batch;
    dims.append(tail.begin(), tail.end());
    return dims;
  };
  std::optional<SmallVector<unsigned>> a =
      dimsOf(op.getMatchingIndexingMap(op.getDpsInputOperand(0)));
  std::optional<SmallVector<unsigned>> b =
      dimsOf(op.getMatchingIndexingMap(op.getDpsInputOperand(1)));
  std::optional<SmallVector<unsigned>> c =
      dimsOf(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
  if (!a || !b || !c || *c != expect({m, n}))
    return false;
  bool ta, tb;
  if (*a == expect({m, k}))
    ta = false;
  else if (*a == expect({k, m}))
    ta = true;
  else
    return false;
  if (*b == expect({k, n}))
    tb = false;
  else if (*b == expect({n, k}))
    tb = true;
  else
    return false;
  // On buffers: rows must be contiguous (cuBLAS leading dimensions).
  if (op.hasPureBufferSemantics())
    for (OpOperand &operand : op->getOpOperands()) {
      auto type = cast<MemRefType>(operand.get().getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(type.getStridesAndOffset(strides, offset)) ||
          strides.back() != 1)
        return false;
    }
  if (transA)
    *transA = ta;
  if (transB)
    *transB = tb;
  return true;
}

namespace {

struct GPUContractionsToGemmPass
    : mlir::flops::impl::GPUContractionsToGemmPassBase<
          GPUContractionsToGemmPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (precision < 0 || precision > 2) {
      module.emitError("flops-gpu-contractions-to-gemm: precision must be 0 "
                       "(f32), 1 (tf32) or 2 (bf16)");
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> gemms;
    module.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && !op->getParentOfType<gpu::LaunchOp>() &&
          codegen::isGpuGemm(op))
        gemms.push_back(op);
    });
    if (gemms.empty())
      return;

    IRRewriter rewriter(ctx);
    Type i64 = rewriter.getI64Type(), i32 = rewriter.getI32Type();
    Type f32 = rewriter.getF32Type();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type token = gpu::AsyncTokenType::get(ctx);
    auto calleeType = rewriter.getFunctionType(
        {i64, i64, i64, i64, i32, i32, ptr, i64, i64, ptr, i64, i64, ptr, i64,
         i64, f32, f32, i32, token},
        {});
    if (!SymbolTable::lookupSymbolIn(module, kGemm)) {
      rewriter.setInsertionPointToStart(module.getBody());
      auto decl = func::FuncOp::create(rewriter, module.getLoc(), kGemm,
                                       calleeType);
      decl.setPrivate();
    }

    for (linalg::LinalgOp op : gemms) {
      bool transA = false, transB = false;
      (void)codegen::isGpuGemm(op, &transA, &transB);
      Location loc = op.getLoc();
      rewriter.setInsertionPoint(op);
      auto c64 = [&](int64_t v) -> Value {
        return arith::ConstantIntOp::create(rewriter, loc, i64, v);
      };
      auto c32 = [&](int64_t v) -> Value {
        return arith::ConstantIntOp::create(rewriter, loc, i32, v);
      };
      auto toI64 = [&](Value index) -> Value {
        return arith::IndexCastOp::create(rewriter, loc, i64, index);
      };
      // Pointer to the first element, leading dimension, batch stride.
      auto operand = [&](Value memref, bool batched)
          -> std::tuple<Value, Value, Value> {
        auto meta =
            memref::ExtractStridedMetadataOp::create(rewriter, loc, memref);
        Value base = memref::ExtractAlignedPointerAsIndexOp::create(
            rewriter, loc, memref);
        Value bytes = arith::MulIOp::create(
            rewriter, loc, meta.getOffset(),
            arith::ConstantIndexOp::create(rewriter, loc, 4));
        Value addr = toI64(arith::AddIOp::create(rewriter, loc, base, bytes));
        Value p = LLVM::IntToPtrOp::create(rewriter, loc, ptr, addr);
        auto strides = meta.getStrides();
        unsigned rank = strides.size();
        Value ld = toI64(strides[rank - 2]);
        Value batchStride = batched ? toI64(strides[0]) : c64(0);
        return {p, ld, batchStride};
      };

      FailureOr<linalg::ContractionDimensions> cd =
          linalg::inferContractionDims(op);
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      bool batched = !cd->batch.empty();
      int64_t batch = batched ? ranges[cd->batch[0]] : 1;
      auto [pa, lda, sa] = operand(op.getDpsInputs()[0], batched);
      auto [pb, ldb, sb] = operand(op.getDpsInputs()[1], batched);
      auto [pc, ldc, sc] = operand(op.getDpsInits()[0], batched);
      Value one = arith::ConstantFloatOp::create(
          rewriter, loc, cast<FloatType>(f32), APFloat(1.0f));
      Value stream =
          gpu::WaitOp::create(rewriter, loc, token, ValueRange()).getAsyncToken();
      func::CallOp::create(
          rewriter, loc, kGemm, TypeRange(),
          ValueRange{c64(batch), c64(ranges[cd->m[0]]), c64(ranges[cd->n[0]]),
                     c64(ranges[cd->k[0]]), c32(transA), c32(transB), pa, lda,
                     sa, pb, ldb, sb, pc, ldc, sc, one, one, c32(precision),
                     stream});
      // The synchronising gpu.wait [%stream] is added by flops-lower-to-cuda
      // right before gpu-to-llvm: canonicalization erases a wait on a
      // stream it believes empty.
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
