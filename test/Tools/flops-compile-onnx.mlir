// flops-compile MODEL.onnx imports the model in-process (as
// flops-import-onnx does), writes its initializers next to the program
// (OUT.safetensors, or --weights) and compiles the step; the program,
// started from those weights, ends with the same parameters, bit for bit, as
// flops-train on the model imported by flops-import-onnx (same CPU features:
// --target-cpu native, 1 thread). The header of an ONNX model declares its
// forward with the graph's names.
// REQUIRES: onnx
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-run %S/Inputs/gen-blobs.mlir --output %t/x.npy --output %t/y.npy
// RUN: flops-compile %S/../Import/Onnx/Inputs/linear.onnx -o %t/lin --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 16 --sigma 0.05 --target-cpu native 2>&1 | FileCheck %s --check-prefix=WROTE
// RUN: ldd %t/lin | FileCheck %s --check-prefix=LDD
// RUN: %t/lin --train-npy %t/x.npy --train-labels %t/y.npy --test-npy %t/x.npy --test-labels %t/y.npy --params %t/lin.safetensors --epochs 2 --lr 0.01 --progress=false --save %t/aot.safetensors 2>&1 | FileCheck %s --check-prefix=TRAIN
// RUN: flops-import-onnx %S/../Import/Onnx/Inputs/linear.onnx -o %t/imported.mlir
// RUN: flops-train %t/imported.mlir --params %t/imported.safetensors --train-npy %t/x.npy --train-labels %t/y.npy --test-npy %t/x.npy --test-labels %t/y.npy --batch-size 16 --sigma 0.05 --num-threads 1 --epochs 2 --lr 0.01 --quiet --save %t/jit.safetensors
// RUN: cmp %t/lin.safetensors %t/imported.safetensors
// RUN: %python %S/Inputs/same-tensors.py %t/aot.safetensors %t/jit.safetensors | FileCheck %s --check-prefix=SAME

// RUN: flops-compile %S/../Import/Onnx/Inputs/linear.onnx --emit=header -o %t/lin.h --train-npy %t/x.npy --train-labels %t/y.npy --batch-size 16 --weights %t/w.safetensors 2>&1 | FileCheck %s --check-prefix=WROTEW
// RUN: FileCheck %s --check-prefix=HEADER < %t/lin.h
// RUN: not flops-compile %S/Inputs/mlp-small.mlir -o %t/x --weights %t/w.safetensors 2>&1 | FileCheck %s --check-prefix=NOTONNX
// RUN: not flops-compile %S/../Import/Onnx/Inputs/linear.onnx -o %t/x --weights %t/x 2>&1 | FileCheck %s --check-prefix=SAMEFILE
// RUN: not flops-compile %S/../Import/Onnx/Inputs/unsupported.onnx -o %t/x 2>&1 | FileCheck %s --check-prefix=BAD

// WROTE: flops-compile: wrote {{.*}}lin.safetensors (the 2 parameters of {{.*}}linear.onnx); the program starts from them with --params {{.*}}lin.safetensors
// LDD-NOT: libMLIR
// LDD-NOT: libLLVM
// LDD-NOT: libonnx
// LDD-NOT: libprotobuf
// TRAIN: lin: {{.*}}linear.onnx: 15 parameters in 2 tensors; batch 16
// TRAIN: lin: 2 epochs (32 steps)
// SAME: tensors: 9 and 9, identical 1; other metadata identical 1
// WROTEW: flops-compile: wrote {{.*}}w.safetensors (the 2 parameters
// HEADER: /* @forward */
// HEADER: argument 0: input 'x' tensor<16x4xf32>
// HEADER: argument 1: param 'fc.weight' tensor<3x4xf32>
// HEADER: result 0: output 'y' tensor<16x3xf32>
// NOTONNX: flops-compile: error: --weights applies to an ONNX model (MODEL.onnx) only
// SAMEFILE: flops-compile: error: --weights {{.*}}x names the output file
// BAD: flops-compile: error: {{.*}}unsupported.onnx: node {{.*}}: unsupported op type
