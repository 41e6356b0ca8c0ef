#!/usr/bin/python3
"""GFLOP/s of flops-lower-to-cpu against flops-reference-to-llvm.

Compiles two f32 contractions of the training step through both pipelines
and runs each several times in one mlir-runner process, timing every call
with rtclock inside the MLIR:

  matmul : C[512x256]  = A[512x784] . B[784x256]          (forward layer)
  wgrad  : G[784x256]  = X[512x784]^T . D[512x256]        (weight gradient,
           a linalg.generic out[k,j] += x[r,k] * d[r,j])
  linear : Y[512x256]  = X[512x784] . W[256x784]^T        (an imported Linear
           layer, W stored out x in; transpose-rhs copies W once)

Prints the best and mean GFLOP/s of each configuration and the ratio to the
reference, and checks that every configuration computes the same values.
Not a test (timings depend on the machine's load); see docs/CODEGEN.md.

  benchmarks/cpu-pipeline/run.py [--build build] [--reps 20] [--threads 1,2]
                                 [--kernels matmul,wgrad,linear] [--options '...']
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLVM = "/usr/lib/llvm-22"
LIBOMP = "/usr/lib/x86_64-linux-gnu/libomp.so.5"

KERNELS = {
    "matmul": """
func.func @kernel(%a: tensor<512x784xf32>, %b: tensor<784x256xf32>) -> tensor<512x256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x256xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<512x256xf32>) -> tensor<512x256xf32>
  %r = linalg.matmul ins(%a, %b : tensor<512x784xf32>, tensor<784x256xf32>)
                     outs(%c : tensor<512x256xf32>) -> tensor<512x256xf32>
  return %r : tensor<512x256xf32>
}
""",
    "wgrad": """
func.func @kernel(%x: tensor<512x784xf32>, %d: tensor<512x256xf32>) -> tensor<784x256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<784x256xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<784x256xf32>) -> tensor<784x256xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(k, j, r) -> (r, k)>, affine_map<(k, j, r) -> (r, j)>,
                       affine_map<(k, j, r) -> (k, j)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %d : tensor<512x784xf32>, tensor<512x256xf32>) outs(%c : tensor<784x256xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %p = arith.mulf %u, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<784x256xf32>
  return %r : tensor<784x256xf32>
}
""",
    "linear": """
func.func @kernel(%x: tensor<512x784xf32>, %w: tensor<256x784xf32>) -> tensor<512x256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x256xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<512x256xf32>) -> tensor<512x256xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>,
                                      affine_map<(i, j, k) -> (i, j)>]
      ins(%x, %w : tensor<512x784xf32>, tensor<256x784xf32>) outs(%c : tensor<512x256xf32>) -> tensor<512x256xf32>
  return %r : tensor<512x256xf32>
}
""",
}

SHAPES = {  # operand shapes, result shape
    "matmul": ((512, 784), (784, 256), (512, 256)),
    "wgrad": ((512, 784), (512, 256), (784, 256)),
    "linear": ((512, 784), (256, 784), (512, 256)),
}

FLOP = 2 * 512 * 784 * 256

DRIVER = """
func.func private @rtclock() -> f64

/// Small integers (exact products and sums in f32), made from the indices at
/// run time so that nothing folds.
func.func @fill(%mod: index, %mul: index) -> tensor<{R}x{C}xf32> {{
  %t = tensor.empty() : tensor<{R}x{C}xf32>
  %r = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}} outs(%t : tensor<{R}x{C}xf32>) {{
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %im = arith.muli %i, %mul : index
    %s = arith.addi %im, %j : index
    %m = arith.remui %s, %mod : index
    %n = arith.index_cast %m : index to i64
    %f = arith.sitofp %n : i64 to f32
    %c2 = arith.constant 2.0 : f32
    %g = arith.subf %f, %c2 : f32
    linalg.yield %g : f32
  }} -> tensor<{R}x{C}xf32>
  return %r : tensor<{R}x{C}xf32>
}}
"""

MAIN = """
func.func @main() {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %reps = arith.constant {reps} : index
  %a = call @fill_a(%c7, %c1) : (index, index) -> tensor<{a0}x{a1}xf32>
  %b = call @fill_b(%c5, %c3) : (index, index) -> tensor<{b0}x{b1}xf32>
  %warm = call @kernel(%a, %b) : (tensor<{a0}x{a1}xf32>, tensor<{b0}x{b1}xf32>) -> tensor<{r0}x{r1}xf32>
  %big = arith.constant 1.0e30 : f64
  %zero = arith.constant 0.0 : f64
  %res:2 = scf.for %i = %c0 to %reps step %c1 iter_args(%best = %big, %sum = %zero)
      -> (f64, f64) {{
    %t0 = func.call @rtclock() : () -> f64
    %r = func.call @kernel(%a, %b) : (tensor<{a0}x{a1}xf32>, tensor<{b0}x{b1}xf32>) -> tensor<{r0}x{r1}xf32>
    %t1 = func.call @rtclock() : () -> f64
    %dt = arith.subf %t1, %t0 : f64
    %nb = arith.minimumf %best, %dt : f64
    %ns = arith.addf %sum, %dt : f64
    scf.yield %nb, %ns : f64, f64
  }}
  %flop = arith.constant {flop}.0 : f64
  %giga = arith.constant 1.0e9 : f64
  %gflop = arith.divf %flop, %giga : f64
  %bestg = arith.divf %gflop, %res#0 : f64
  %n = arith.index_cast %reps : index to i64
  %nf = arith.sitofp %n : i64 to f64
  %mean = arith.divf %res#1, %nf : f64
  %meang = arith.divf %gflop, %mean : f64
  vector.print str "best "
  vector.print %bestg : f64
  vector.print str "mean "
  vector.print %meang : f64
  %i1 = arith.constant {p0} : index
  %j1 = arith.constant {p1} : index
  %v0 = tensor.extract %warm[%c1, %c1] : tensor<{r0}x{r1}xf32>
  %v1 = tensor.extract %warm[%i1, %j1] : tensor<{r0}x{r1}xf32>
  vector.print str "check "
  vector.print %v0 : f32
  vector.print str "check "
  vector.print %v1 : f32
  return
}}
"""


def module(kernel, reps):
    (a0, a1), (b0, b1), (r0, r1) = SHAPES[kernel]
    fill_a = DRIVER.format(R=a0, C=a1).replace("@fill(", "@fill_a(")
    fill_b = DRIVER.format(R=b0, C=b1).replace("@fill(", "@fill_b(")
    fill_b = fill_b.replace("func.func private @rtclock() -> f64\n", "")
    main = MAIN.format(reps=reps, a0=a0, a1=a1, b0=b0, b1=b1, r0=r0, r1=r1,
                       flop=FLOP, p0=r0 - 3, p1=r1 - 5)
    return fill_a + fill_b + KERNELS[kernel] + main


def run(flops_opt, kernel, reps, pipeline):
    src = module(kernel, reps)
    lowered = subprocess.run([flops_opt, f"--pass-pipeline=builtin.module({pipeline})"],
                             input=src, capture_output=True, text=True)
    if lowered.returncode != 0:
        sys.exit(f"{pipeline} failed on {kernel}:\n{lowered.stderr}")
    libs = [f"{LLVM}/lib/libmlir_runner_utils.so", f"{LLVM}/lib/libmlir_c_runner_utils.so"]
    if "num-threads" in pipeline and not re.search(r"num-threads=1\b", pipeline):
        libs.append(LIBOMP)
    out = subprocess.run([f"{LLVM}/bin/mlir-runner", "-e", "main", "-entry-point-result=void",
                          "-O3", "-shared-libs=" + ",".join(libs)],
                         input=lowered.stdout, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"mlir-runner failed ({pipeline}, {kernel}):\n{out.stderr}")
    text = out.stdout
    best = float(re.search(r"best (\S+)", text).group(1))
    mean = float(re.search(r"mean (\S+)", text).group(1))
    checks = re.findall(r"check (\S+)", text)
    return best, mean, checks


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--reps", type=int, default=20, help="timed calls of the fast kernels")
    parser.add_argument("--ref-reps", type=int, default=2, help="timed calls of the reference")
    parser.add_argument("--threads", default="1,2", help="num-threads values to measure")
    parser.add_argument("--options", default="", help="extra flops-lower-to-cpu options")
    parser.add_argument("--kernels", default=",".join(KERNELS), help="kernels to run")
    args = parser.parse_args()
    flops_opt = os.path.join(args.build, "bin", "flops-opt")

    print(f"{'kernel':8} {'pipeline':44} {'best GF/s':>10} {'mean GF/s':>10} {'x ref':>7}")
    ok = True
    for kernel in args.kernels.split(","):
        ref_best, ref_mean, ref_checks = run(flops_opt, kernel, args.ref_reps,
                                             "flops-reference-to-llvm")
        print(f"{kernel:8} {'flops-reference-to-llvm':44} {ref_best:10.2f} {ref_mean:10.2f} {1:7.1f}")
        for t in args.threads.split(","):
            opts = f"num-threads={t}" + (f" {args.options}" if args.options else "")
            pipeline = f"flops-lower-to-cpu{{{opts}}}"
            best, mean, checks = run(flops_opt, kernel, args.reps, pipeline)
            same = "" if checks == ref_checks else "  MISMATCH " + str(checks) + " vs " + str(ref_checks)
            ok = ok and not same
            print(f"{kernel:8} {pipeline:44} {best:10.2f} {mean:10.2f} {best / ref_best:7.1f}{same}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
