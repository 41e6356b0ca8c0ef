// The runtime loads the real driver and describes the device.
// REQUIRES: cuda-device
// RUN: flops-gpu-info | FileCheck %s
// CHECK: device 0: {{.+}}, compute capability {{[1-9][0-9]*}}.{{[0-9]+}}, {{[1-9][0-9]*}} multiprocessors, {{[0-9]+\.[0-9]}} GiB
