// RUN: flops-opt --help | FileCheck %s

/// flops-opt registers the flops dialect, its passes and its pipelines.
// CHECK: Available Dialects: {{.*}}flops
// CHECK-DAG: --flops-to-linalg
// CHECK-DAG: --flops-reference-to-llvm
