// REQUIRES: cuda-toolkit
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true})" | FileCheck %s --check-prefix=KERNELS
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=64 queries=8" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true})" | FileCheck %s --check-prefix=COUNT
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=64 queries=8" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true fuse-launches=false})" | FileCheck %s --check-prefix=UNFUSED
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=64 queries=8" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true serial-kernels=false})" | FileCheck %s --check-prefix=HOSTCODE
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=64 queries=8" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{stop-at-kernels=true})" | FileCheck %s --check-prefix=OPTIMIZER
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --flops-lower-to-cuda | FileCheck %s --check-prefix=BINARY
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --flops-lower-to-cuda | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{format=isa})" | FileCheck %s --check-prefix=PTX
// RUN: flops-opt %S/../../examples/mlp.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{contraction=cublas})" | FileCheck %s --check-prefix=CUBLAS
// RUN: flops-opt %S/../../examples/cnn.mlir --flops-forward-train="batch-size=4 queries=2" | flops-opt --pass-pipeline="builtin.module(flops-lower-to-cuda{c-interface=true})" | FileCheck %s --check-prefix=CNN

/// The MLP training step (examples/mlp.mlir, 784-256-256-10, Adam, 3 noise
/// sites) through flops-lower-to-cuda. Kernels per step: 64 launches in
/// @train_step (the same at B=4 q=2 and B=64 q=8: the count depends on the
/// graph, not the sizes) and 11 in @eval_step, after flops-gpu-fuse-launches
/// merged independent neighbours (97 and 12 without it, UNFUSED below).
/// Of these, 22 and 2 are single-thread kernels holding the host code that
/// ran between kernels before (flops-gpu-serial-kernels; HOSTCODE below:
/// 42 and 9 with serial-kernels=false; 59 and 37 in @train_step before the
/// contractions' shared-memory tiles, whose barriers keep them from merging
/// with neighbours of another block size).
// COUNT-LABEL: func.func @train_step(
// COUNT-COUNT-64: gpu.launch_func
// COUNT-NOT: gpu.launch_func
// COUNT-LABEL: func.func @eval_step(
// COUNT-COUNT-11: gpu.launch_func
// COUNT-NOT: gpu.launch_func
// COUNT: gpu.module

// UNFUSED-LABEL: func.func @train_step(
// UNFUSED-COUNT-97: gpu.launch_func
// UNFUSED-NOT: gpu.launch_func
// UNFUSED-LABEL: func.func @eval_step(
// UNFUSED-COUNT-12: gpu.launch_func
// UNFUSED-NOT: gpu.launch_func
// UNFUSED: gpu.module

// HOSTCODE-LABEL: func.func @train_step(
// HOSTCODE-COUNT-42: gpu.launch_func
// HOSTCODE-NOT: gpu.launch_func
// HOSTCODE-LABEL: func.func @eval_step(
// HOSTCODE-COUNT-9: gpu.launch_func
// HOSTCODE-NOT: gpu.launch_func
// HOSTCODE: gpu.module

/// The multi-tensor optimizer update: the Adam update of the six
/// parameters and of the three log-sigma vectors is one kernel, each part
/// under its own block-id range: 784 + 256 + 32 for the weights (blocks of
/// 8x32 outputs), 8 + 8 + 1 for the biases and 8 + 8 + 1 for log sigma
/// (blocks of 32 and 10), plus one block of one thread: the gradient
/// norm's final sum and square root (a single-thread kernel that is
/// independent of the updates), 1107 blocks. Its body holds the nine
/// parts' square roots (sqrt(v_hat) + eps) and the norm's. It is followed
/// by the single-thread kernel that stores the metrics (then only the
/// deallocation bookkeeping's).
// OPTIMIZER-LABEL: func.func @train_step(
// OPTIMIZER: math.powf
// OPTIMIZER: math.powf
// OPTIMIZER-NEXT: arith.subf
// OPTIMIZER-NEXT: gpu.launch_func @[[OPT:train_step_kernel_[0-9]+]]::@train_step_kernel blocks in (%c1107, %c1, %c1) threads in (%c32, %c8, %c1)
// OPTIMIZER-NEXT: gpu.launch_func @[[MET:train_step_kernel_[0-9]+]]::@train_step_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
// OPTIMIZER: return
// OPTIMIZER: gpu.module @[[OPT]]
// OPTIMIZER-COUNT-10: math.sqrt
// OPTIMIZER-NOT: math.sqrt
// OPTIMIZER: gpu.return
// OPTIMIZER: gpu.module @[[MET]]
// OPTIMIZER-COUNT-5: memref.store
// OPTIMIZER: gpu.return

/// The noise is generated only inside kernels (no flops.counter_normal in
/// host code), six times: the three forward perturbations (each in the
/// kernel that adds sigma * eps to the layer's pre-activation and applies
/// the activation: bias + noise + activation is one kernel) and the three
/// site-delta / log-sigma kernels that regenerate it. No kernel stores a
/// raw normal: no buffer of any shape holds the noise.
// KERNELS-LABEL: func.func @train_step(
// KERNELS-NOT: flops.counter_normal
// KERNELS: gpu.module
// KERNELS: gpu.func @train_step_kernel(
// KERNELS: %[[E0:.*]] = flops.counter_normal %{{.*}} {antithetic}
// KERNELS-NEXT: %[[S0:.*]] = arith.mulf %{{.*}}, %[[E0]] : f32
// KERNELS-NEXT: %[[P0:.*]] = arith.addf %{{.*}}, %[[S0]] : f32
// KERNELS-NEXT: %[[R0:.*]] = arith.maximumf %[[P0]], %{{.*}} : f32
// KERNELS-NEXT: memref.store %[[R0]]
// KERNELS-NEXT: gpu.return
// KERNELS: %[[E1:.*]] = flops.counter_normal %{{.*}} {antithetic, site = 1 : i64}
// KERNELS-NEXT: %[[S1:.*]] = arith.mulf %{{.*}}, %[[E1]] : f32
// KERNELS-NEXT: %[[P1:.*]] = arith.addf %{{.*}}, %[[S1]] : f32
// KERNELS-NEXT: %[[R1:.*]] = arith.maximumf %[[P1]], %{{.*}} : f32
// KERNELS-NEXT: memref.store %[[R1]]
// KERNELS-NEXT: gpu.return
// KERNELS: %[[E2:.*]] = flops.counter_normal %{{.*}} {antithetic, site = 2 : i64}
// KERNELS-NEXT: %[[S2:.*]] = arith.mulf %{{.*}}, %[[E2]] : f32
// KERNELS-NEXT: %[[P2:.*]] = arith.addf %{{.*}}, %[[S2]] : f32
// KERNELS-NEXT: memref.store %[[P2]]
// KERNELS-NEXT: gpu.return
/// Site delta (r eps / sigma per row and unit) and the log-sigma sum
/// (sum over rows of r (eps^2 - 1)) in one kernel per site, the noise
/// regenerated in the row loop.
// KERNELS: scf.for
// KERNELS: %[[D0:.*]] = flops.counter_normal %{{.*}} {antithetic}
// KERNELS-NOT: memref.store %[[D0]],
// KERNELS: arith.mulf %[[D0]], %[[D0]] : f32
// KERNELS-NOT: memref.store %[[D0]],
// KERNELS: gpu.return
// KERNELS: %[[D1:.*]] = flops.counter_normal %{{.*}} {antithetic, site = 1 : i64}
// KERNELS-NOT: memref.store %[[D1]],
// KERNELS: arith.mulf %[[D1]], %[[D1]] : f32
// KERNELS-NOT: memref.store %[[D1]],
// KERNELS: gpu.return
// KERNELS: %[[D2:.*]] = flops.counter_normal %{{.*}} {antithetic, site = 2 : i64}
// KERNELS-NOT: memref.store %[[D2]],
// KERNELS: arith.mulf %[[D2]], %[[D2]] : f32
// KERNELS-NOT: memref.store %[[D2]],
// KERNELS: gpu.return
// KERNELS-NOT: flops.counter_normal

/// The full pipeline: host code in the LLVM dialect (managed buffers through
/// mgpuMemAlloc, launches left as gpu.launch_func for the translation, the
/// first two on the same stream), one
/// gpu.binary per kernel holding the sm_90a fatbin that ptxas produced.
// BINARY-NOT: func.func
// BINARY-NOT: gpu.func
// BINARY-NOT: memref.alloc
// BINARY-LABEL: llvm.func @train_step(
// BINARY: llvm.call @mgpuMemAlloc
// BINARY: %[[STREAM:.*]] = llvm.call @mgpuStreamCreate()
// BINARY: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @train_step_kernel::@train_step_kernel
// BINARY: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @train_step_kernel_0::@train_step_kernel
// BINARY: gpu.binary @train_step_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {{.*}}, "{{.+}}">]

/// The result translates to LLVM IR (what an ExecutionEngine does): each
/// binary is loaded once by a global constructor, each launch site gets
/// the function; consecutive launches go to one stream (async-launches),
/// synchronised and destroyed once after the run.
// LLVMIR: @llvm.global_ctors = appending global [75 x
// LLVMIR-LABEL: define void @train_step(
// LLVMIR: %[[S:.*]] = call ptr @mgpuStreamCreate()
// LLVMIR-NOT: @mgpuStreamSynchronize
// LLVMIR: call ptr @mgpuModuleGetFunction(
// LLVMIR-NOT: @mgpuStreamSynchronize
// LLVMIR: call void @mgpuLaunchKernel({{.*}}, ptr %[[S]], {{.*}})
// LLVMIR-NOT: @mgpuStreamSynchronize
// LLVMIR: call void @mgpuLaunchKernel({{.*}}, ptr %[[S]], {{.*}})
// LLVMIR: call void @mgpuStreamSynchronize(ptr %[[S]])
// LLVMIR-NEXT: call void @mgpuStreamDestroy(ptr %[[S]])
// LLVMIR-LABEL: define internal void @train_step_kernel_load()
// LLVMIR: call ptr @mgpuModuleLoad(ptr @train_step_kernel_binary

/// The noise's square roots are IEEE (sqrt.rn.f32, as on the CPU), never
/// the approximate ones libdevice's __nv_sqrtf would give (the first
/// kernel to hold the noise: the first layer's perturbed forward, whose
/// number changes with the kernels before it).
// PTX-NOT: sqrt.approx
// PTX: gpu.binary @train_step_kernel_{{[0-9]+}} {{.*}}sqrt.rn.f32
// PTX-NOT: sqrt.approx

/// contraction=cublas: the MLP step's 8 contractions (the clean forward's 3,
/// the perturbed forward's 2 (the first layer's product is shared) and the
/// 3 weight gradients x^T Delta, transA = 1) call flopsGpuGemmF32; the rest
/// stays our kernels.
// CUBLAS-LABEL: llvm.func @train_step(
// CUBLAS-COUNT-8: llvm.call @flopsGpuGemmF32(
// CUBLAS-NOT: llvm.call @flopsGpuGemmF32(
// CUBLAS-LABEL: llvm.func @eval_step(
// CUBLAS-COUNT-3: llvm.call @flopsGpuGemmF32(
// CUBLAS: gpu.binary

/// The CNN example (convolutions, pooling) compiles the same way.
// CNN-LABEL: llvm.func @train_step(
// CNN-LABEL: llvm.func @_mlir_ciface_train_step(
// CNN: gpu.binary @train_step_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
