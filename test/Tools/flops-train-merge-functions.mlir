// RUN: %python %S/Inputs/gen-deep-cnn.py 4 %t.mlir %t.x.npy %t.y.npy
// RUN: flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --num-threads 2 --no-cache --save %t.merged.safetensors --progress=false --dump-llvm %t.merged.ll.mlir 2>&1 | FileCheck %s
// RUN: flops-train %t.mlir --train-npy %t.x.npy --train-labels %t.y.npy --batch-size 8 --queries 2 --epochs 1 --num-threads 2 --no-cache --save %t.apart.safetensors --progress=false --dump-llvm %t.apart.ll.mlir --cpu-options 'merge-functions=false' > /dev/null 2>&1
// RUN: %python %S/Inputs/same-tensors.py %t.merged.safetensors %t.apart.safetensors | FileCheck %s --check-prefix=SAME
// RUN: %python -c "import re, sys; n = [len(re.findall(r'llvm\.func (?:private )?@\w+_nest\d+\(', open(f).read())) for f in sys.argv[1:]]; print('nests merged', n[0], 'apart', n[1]); assert 0 < n[0] < n[1]" %t.merged.ll.mlir %t.apart.ll.mlir | FileCheck %s --check-prefix=COUNT

/// flops-merge-identical-functions in flops-lower-to-cpu (docs/CODEGEN.md,
/// "Compile time"): the generated 4-layer CNN's outlined loop nests
/// include equal ones (layers of one shape, the evaluation step's forward
/// and the training step's); with the pass (the default) the lowered module
/// has fewer of them than with merge-functions=false, and both train to
/// bit-identical parameters (the checkpoints' metadata differ in the
/// pipeline string).

// CHECK: epoch 1/1: train loss
// SAME: tensors: {{[0-9]+}} and {{[0-9]+}}, identical 1;
// COUNT: nests merged {{[0-9]+}} apart {{[0-9]+}}
