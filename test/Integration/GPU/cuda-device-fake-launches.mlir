// REQUIRES: cuda-toolkit
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CACHE_DIR=off flops-bench-train-step --model %S/../../Tools/Inputs/mlp-small.mlir --device cuda --batch-size 32 --queries 8 --reps 1 --warmup 0 > /dev/null 2> %t.merged.log
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CACHE_DIR=off flops-bench-train-step --model %S/../../Tools/Inputs/mlp-small.mlir --device cuda --batch-size 32 --queries 8 --reps 1 --warmup 0 --cuda-options="fuse-launches=false async-launches=false serial-kernels=false" > /dev/null 2> %t.sync.log
// RUN: env FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CACHE_DIR=off flops-bench-train-step --model %S/../../Tools/Inputs/mlp-small.mlir --device cuda --batch-size 32 --queries 8 --reps 1 --warmup 0 --cuda-options="serial-kernels=false" > /dev/null 2> %t.host.log
// RUN: env FLOPS_CUDA_STREAM_REUSE=0 FLOPS_CUDA_DRIVER=%flops_fake_cuda FLOPS_FAKE_CUDA_ANY_IMAGE=1 FLOPS_FAKE_CUDA_TRACE=1 FLOPS_CACHE_DIR=off flops-bench-train-step --model %S/../../Tools/Inputs/mlp-small.mlir --device cuda --batch-size 32 --queries 8 --reps 1 --warmup 0 > /dev/null 2> %t.noreuse.log
// RUN: grep -c "fake-cuda: stream create" %t.merged.log | FileCheck %s --check-prefix=REUSE-CREATES
// RUN: grep -c "fake-cuda: stream destroy" %t.merged.log | FileCheck %s --check-prefix=REUSE-DESTROYS
// RUN: grep -c "fake-cuda: stream create" %t.noreuse.log | FileCheck %s --check-prefix=NOREUSE-CREATES
// RUN: grep -c "fake-cuda: stream synchronize" %t.noreuse.log | FileCheck %s --check-prefix=MERGED-SYNCS
// RUN: grep -c "fake-cuda: launch train_step_kernel" %t.merged.log | FileCheck %s --check-prefix=MERGED-LAUNCHES
// RUN: grep -c "fake-cuda: stream synchronize" %t.merged.log | FileCheck %s --check-prefix=MERGED-SYNCS
// RUN: grep -c "fake-cuda: launch train_step_kernel" %t.sync.log | FileCheck %s --check-prefix=SYNC-LAUNCHES
// RUN: grep -c "fake-cuda: stream synchronize" %t.sync.log | FileCheck %s --check-prefix=SYNC-SYNCS
// RUN: grep -c "fake-cuda: launch train_step_kernel" %t.host.log | FileCheck %s --check-prefix=HOST-LAUNCHES
// RUN: grep -c "fake-cuda: stream synchronize" %t.host.log | FileCheck %s --check-prefix=HOST-SYNCS
// RUN: grep -c "fake-cuda: free" %t.merged.log | FileCheck %s --check-prefix=MERGED-FREES
// RUN: grep -c "fake-cuda: free" %t.host.log | FileCheck %s --check-prefix=FREES
// RUN: grep -c "fake-cuda: free" %t.sync.log | FileCheck %s --check-prefix=FREES

/// Launches and stream synchronisations the CUDA runtime makes, counted in
/// the fake driver's trace (its kernels never run; its allocations are
/// zeroed, so the host code's data-dependent loops run the same way every
/// time), for two train-step calls of the 784-32-10 MLP
/// (test/Tools/Inputs/mlp-small.mlir, B=32 q=8) plus a forward pass, by
/// flops-bench-train-step --device cuda. The query loop runs kernels per
/// query and per row, so a step launches far more kernels than its launch
/// sites.
///
/// Default (serial-kernels, fuse-launches, async-launches): the host code
/// between kernels runs as single-thread kernels, the row gather's index
/// loads moved into its copy kernel, the row loop's launches on the run's
/// stream: 409 train-step launches per call and 308 synchronisations in
/// all, 299 of them for frees (9 others for the whole run). (392 launches
/// and 310 synchronisations before the contractions' shared-memory tiles,
/// whose barriers keep them from merging with neighbours of another block
/// size.)
// MERGED-LAUNCHES: {{^}}818{{$}}
// MERGED-SYNCS: {{^}}308{{$}}
// MERGED-FREES: {{^}}299{{$}}
/// serial-kernels=false (the host code between kernels on the host, the
/// default before): 386 launches per call; each run of consecutive
/// launches shares one stream and one synchronisation, and every host op
/// after a kernel waits for it: 828 synchronisations, 523 besides the
/// 305 frees.
// HOST-LAUNCHES: {{^}}772{{$}}
// HOST-SYNCS: {{^}}828{{$}}
/// Unmerged, synchronous, host code on the host (the code generation
/// before all three): 412 launches per call, each synchronised on its own
/// stream.
// SYNC-LAUNCHES: {{^}}824{{$}}
// SYNC-SYNCS: {{^}}1096{{$}}
// FREES: {{^}}305{{$}}
/// Streams are reused (runtime/cuda/EntryPoints.cpp): a synchronised,
/// "destroyed" stream goes back to a per-thread pool, so the whole run
/// creates one stream and destroys it once, when the thread ends;
/// FLOPS_CUDA_STREAM_REUSE=0 (the behaviour before) creates and
/// destroys one per synchronisation. The synchronisations are the same.
// REUSE-CREATES: {{^}}1{{$}}
// REUSE-DESTROYS: {{^}}1{{$}}
// NOREUSE-CREATES: {{^}}308{{$}}
