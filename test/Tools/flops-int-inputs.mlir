// Integer data arguments (token ids): flops-run --input and flops-train
// --train-npy bind int32/int64 .npy arrays to integer arguments as integers
// (never through a float): 2^40 + k survives exactly (a float32 would
// round it), an int32 array widens to an i64 argument, an integer array
// narrows to a narrower argument only when every value fits, and float
// values for an integer argument are an error.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: flops-run %S/Inputs/gen-int-ids.mlir --output %t/ids64.npy --output %t/ids32.npy --output %t/labels.npy --output %t/float.npy
// RUN: flops-run %S/Inputs/int-ids-echo.mlir --input %t/ids64.npy --print | FileCheck %s --check-prefix=ECHO64
// RUN: flops-run %S/Inputs/int-ids-echo.mlir --input %t/ids32.npy --print | FileCheck %s --check-prefix=ECHO32
// RUN: flops-train %S/Inputs/int-ids-linear.mlir --train-npy %t/ids64.npy --train-labels %t/labels.npy --batch-size 4 --epochs 2 --progress=false --dump-before-lowering %t/step64.mlir 2>&1 | FileCheck %s --check-prefix=TRAIN
// RUN: FileCheck %s --check-prefix=STEP < %t/step64.mlir
// RUN: flops-train %S/Inputs/int-ids-linear.mlir --train-npy %t/ids32.npy --train-labels %t/labels.npy --batch-size 4 --epochs 2 --progress=false 2>&1 | FileCheck %s --check-prefix=TRAIN
// RUN: not flops-run %S/Inputs/int-ids-echo.mlir --input %t/labels.npy --print 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not flops-train %S/Inputs/int-ids-linear.mlir --train-npy %t/float.npy --train-labels %t/labels.npy --batch-size 4 --epochs 1 --progress=false 2>&1 | FileCheck %s --check-prefix=FLOAT
// RUN: not flops-run %S/Inputs/int-ids-echo32.mlir --input %t/ids64.npy --print 2>&1 | FileCheck %s --check-prefix=NARROW
// RUN: flops-run %S/Inputs/int-ids-echo32.mlir --input %t/ids32.npy --print | FileCheck %s --check-prefix=ECHO32

// ECHO64:      output0: tensor<8x2xi64>
// ECHO64-NEXT: 1099511627777 1099511627779
// ECHO64-NEXT: 1099511627778 1099511627780

// ECHO32:      output0: tensor<8x2xi{{32|64}}>
// ECHO32-NEXT: 1 3
// ECHO32-NEXT: 2 4

// TRAIN: data: 8 training rows
// TRAIN: flops-train: 2 epochs (4 steps)

// STEP-LABEL: func.func @train_step(
// STEP-SAME: tensor<4x2xi64> {flops.name = "input0", flops.role = "input"}

// COUNT: error: {{.*}}labels.npy has rows of scalar (1 values); @forward expects rows of 2 (2 values): argument 0 is tensor<?x2xi64>
// FLOAT: error: {{.*}}float.npy: cannot convert float32 values to int64
// NARROW: error: {{.*}}ids64.npy: value 1099511627776 at index 0 does not fit int32
