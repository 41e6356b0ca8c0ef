// RUN: flops-opt %s --pass-pipeline="builtin.module(func.func(flops-cpu-tile-and-vectorize{register-tile-sizes=8,32 cache-tile-sizes=64,-1,256 num-threads=0 elementwise-vector-size=0 noise-vector-size=-4 noise-work-factor=0}))" -verify-diagnostics

/// Every bad option value of flops-cpu-tile-and-vectorize is reported, on
/// the function the pass runs on.
// expected-error @+6 {{flops-cpu-tile-and-vectorize: register-tile-sizes needs three positive sizes (m, n, k)}}
// expected-error @+5 {{flops-cpu-tile-and-vectorize: cache-tile-sizes needs three non-negative sizes (m, n, k)}}
// expected-error @+4 {{flops-cpu-tile-and-vectorize: num-threads must be positive}}
// expected-error @+3 {{flops-cpu-tile-and-vectorize: elementwise-vector-size must be positive}}
// expected-error @+2 {{flops-cpu-tile-and-vectorize: noise-work-factor must be positive}}
// expected-error @+1 {{flops-cpu-tile-and-vectorize: noise-vector-size must be positive}}
func.func @bad_options() {
  return
}
