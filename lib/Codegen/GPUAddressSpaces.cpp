//===- GPUAddressSpaces.cpp - #gpu.address_space as NVVM numbers -----------===//
//
// flops-gpu-numeric-address-spaces (docs/GPU-CODEGEN.md, "Shared-memory
// block tiles"): the kernels' memref types with #gpu.address_space<...>
// get NVVM's numeric address spaces, so that every later LLVM conversion
// (convert-gpu-to-nvvm and the vector conversion that runs with the host
// code) agrees on them.
//
//===----------------------------------------------------------------------===//

#include "flops/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::flops {
#define GEN_PASS_DEF_GPUNUMERICADDRESSSPACESPASS
#include "flops/Codegen/Passes.h.inc"
} // namespace mlir::flops

using namespace mlir;

namespace {

struct GPUNumericAddressSpacesPass
    : mlir::flops::impl::GPUNumericAddressSpacesPassBase<
          GPUNumericAddressSpacesPass> {
  void runOnOperation() override {
    auto i64 = IntegerType::get(&getContext(), 64);
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](gpu::AddressSpaceAttr space) -> Attribute {
      unsigned number = 0;
      switch (space.getValue()) {
      case gpu::AddressSpace::Global:
        number = static_cast<unsigned>(NVVM::NVVMMemorySpace::Global);
        break;
      case gpu::AddressSpace::Workgroup:
        number = static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared);
        break;
      case gpu::AddressSpace::Private:
        number = static_cast<unsigned>(NVVM::NVVMMemorySpace::Local);
        break;
      }
      return IntegerAttr::get(i64, number);
    });
    replacer.recursivelyReplaceElementsIn(getOperation(), /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }
};

} // namespace
