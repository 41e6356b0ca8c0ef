"""GFLOP/s of the main convolution kernels of flops-lower-to-cpu against the
machine's measured single-core peak (benchmarks/conv/peak.c), in one run.

    /usr/bin/python3 benchmarks/conv/kernels.py [--build build] [--core 1]
        [--reps 20] [--rounds 3] [--cpu-options "..."] [--out DIR]

Kernels (f32, n = 16 images: one query chunk of the ResNet-18 train step of
benchmarks/conv/run.sh, 16 points x 4 queries):
  fwd-*   linalg.conv_2d_nchw_fchw on a padded input (what the imported
          model's convolutions become), ResNet-18 at 3x32x32 layers 1-4
          (3x3, stride 1) and MobileNetV2 1x1 expansions at 32x32 and 16x16;
  wgrad-* the weight-gradient generic of the LR rule,
          dW[f, c, kh, kw] += x_pad[n, c, oh + kh, ow + kw] * D[n, f, oh, ow],
          the same ResNet-18 layers.
Each kernel is its own function (`no_inline`: inlined into the timing
loop, loop-invariant parts such as the column copy of an unchanged input
would be hoisted out of it), called --reps times in a loop (outputs
carried, so no call is dead) after one warm-up call, on inputs filled with
varying values; the module is lowered
with flops-lower-to-cpu{num-threads=1 CPU_OPTIONS} and run by mlir-runner
pinned to --core with taskset. Times are the thread's CPU time
(clock_gettime(CLOCK_THREAD_CPUTIME_ID) through a small helper library the
script compiles), not the wall clock: on a time-shared core the wall clock
also counts the other processes' slices. GFLOP/s = 2 * multiply-adds /
median CPU seconds per call (median over --rounds runs). The peak (peak.c
built with -DCPU_TIME, 16 chains of 512-bit FMAs) is measured on the same
core before and after the kernels; the table reports the larger. Prints a markdown table; writes DIR/kernels.mlir
and DIR/kernels.jsonl.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLVM = "/usr/lib/llvm-22"

# name, n, c, f, h (= w, unpadded), k, stride, pad
CONVS = [
    ("resnet18-layer1 3x3", 16, 64, 64, 8, 3, 1, 1),
    ("resnet18-layer2 3x3", 16, 128, 128, 4, 3, 1, 1),
    ("resnet18-layer3 3x3", 16, 256, 256, 2, 3, 1, 1),
    ("resnet18-layer4 3x3", 16, 512, 512, 1, 3, 1, 1),
    ("mobilenetv2 1x1 32x32 16->96", 16, 16, 96, 32, 1, 1, 0),
    ("mobilenetv2 1x1 16x16 24->144", 16, 24, 144, 16, 1, 1, 0),
]
WGRADS = CONVS[:4]
# Depthwise 3x3 convolutions of MobileNetV2 at 3x64x64, as the importer
# writes them (a generic over (n, c, oh, ow, g, kh, kw), g = 1 channel per
# group); c = f.
DEPTHWISE = [
    ("mobilenetv2 dw 3x3 32x32 c=32", 16, 32, 32, 32, 3, 1, 1),
    ("mobilenetv2 dw 3x3 32x32->16x16 c=96 s2", 16, 96, 96, 32, 3, 2, 1),
    ("mobilenetv2 dw 3x3 16x16 c=144", 16, 144, 144, 16, 3, 1, 1),
    ("mobilenetv2 dw 3x3 4x4 c=576", 16, 576, 576, 4, 3, 1, 1),
]


def t(*dims):
    return "tensor<" + "x".join(str(d) for d in dims) + "xf32>"


def kernel_fn(kind, idx, spec):
    name, n, c, f, h, k, s, p = spec
    hp = h + 2 * p
    o = (hp - k) // s + 1
    xt, wt, ot, dt = t(n, c, hp, hp), t(f, c, k, k), t(n, f, o, o), t(n, f, o, o)
    fn = "%s%d" % (kind, idx)
    if kind == "dw":
        wt = t(c, 1, k, k)
        body = (
            "  %%r = linalg.generic {indexing_maps = [#dx%d, #dw, #do], iterator_types = "
            "[\"parallel\", \"parallel\", \"parallel\", \"parallel\", \"reduction\", "
            "\"reduction\", \"reduction\"]}\n"
            "      ins(%%x, %%w : %s, %s) outs(%%acc : %s) {\n"
            "  ^bb0(%%a: f32, %%b: f32, %%o: f32):\n"
            "    %%m = arith.mulf %%a, %%b : f32\n"
            "    %%q = arith.addf %%o, %%m : f32\n"
            "    linalg.yield %%q : f32\n"
            "  } -> %s\n" % (s, xt, wt, ot, ot))
        sig = "(%%x: %s, %%w: %s, %%acc: %s) -> %s" % (xt, wt, ot, ot)
        carried = ot
    elif kind == "fwd":
        body = (
            "  %%r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, "
            "strides = dense<%d> : tensor<2xi64>}\n"
            "      ins(%%x, %%w : %s, %s) outs(%%acc : %s) -> %s\n" % (s, xt, wt, ot, ot))
        sig = "(%%x: %s, %%w: %s, %%acc: %s) -> %s" % (xt, wt, ot, ot)
        carried = ot
    else:
        body = (
            "  %%r = linalg.generic {indexing_maps = [#wx%d, #wd, #ww], iterator_types = "
            "[\"reduction\", \"parallel\", \"reduction\", \"reduction\", \"parallel\", "
            "\"parallel\", \"parallel\"]}\n"
            "      ins(%%x, %%w : %s, %s) outs(%%acc : %s) {\n"
            "  ^bb0(%%a: f32, %%b: f32, %%o: f32):\n"
            "    %%m = arith.mulf %%a, %%b : f32\n"
            "    %%q = arith.addf %%o, %%m : f32\n"
            "    linalg.yield %%q : f32\n"
            "  } -> %s\n" % (s, xt, dt, wt, wt))
        sig = "(%%x: %s, %%w: %s, %%acc: %s) -> %s" % (xt, dt, wt, wt)
        carried = wt
    macs = n * f * (1 if kind == "dw" else c) * k * k * o * o
    text = ("func.func @%s%s attributes {llvm.emit_c_interface, no_inline} {\n%s"
            "  return %%r : %s\n}\n" % (fn, sig, body, carried))
    return fn, text, (xt, dt if kind == "wgrad" else wt, carried), macs


def varying_fill(result, init, ty):
    """result = init filled with v * ((linearized index * 7-ish) mod 13): not
    one value, so the compiler cannot fold the kernel's arithmetic."""
    r = ty.count("x")
    dims = ", ".join("d%d" % i for i in range(r))
    body = "".join("    %%i%d = linalg.index %d : index\n" % (i, i) for i in range(r))
    body += "    %c7 = arith.constant 7 : index\n    %c13 = arith.constant 13 : index\n"
    body += "    %s0 = arith.addi %i0, %i0 : index\n"
    for i in range(1, r):
        body += ("    %%t%d = arith.muli %%s%d, %%c7 : index\n"
                 "    %%s%d = arith.addi %%t%d, %%i%d : index\n" % (i, i - 1, i, i, i))
    body += ("    %%m = arith.remui %%s%d, %%c13 : index\n"
             "    %%mi = arith.index_cast %%m : index to i32\n"
             "    %%mf = arith.uitofp %%mi : i32 to f32\n"
             "    %%val = arith.mulf %%mf, %%v : f32\n"
             "    linalg.yield %%val : f32\n" % (r - 1))
    return ("  %s = linalg.generic {indexing_maps = [affine_map<(%s) -> (%s)>], "
            "iterator_types = [%s]} outs(%s : %s) {\n  ^bb0(%%o: f32):\n%s  } -> %s\n"
            % (result, dims, dims, ", ".join(['"parallel"'] * r), init, ty, body, ty))


def build_module(reps):
    maps = ["#wd = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>",
            "#ww = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>"]
    for s in sorted({spec[6] for spec in WGRADS}):
        maps.append("#wx%d = affine_map<(n, f, oh, ow, c, kh, kw) -> "
                    "(n, c, oh * %d + kh, ow * %d + kw)>" % (s, s, s))
    fns, calls, kernels = [], [], []
    maps += ["#dw = affine_map<(n, c, oh, ow, g, kh, kw) -> (c, g, kh, kw)>",
             "#do = affine_map<(n, c, oh, ow, g, kh, kw) -> (n, c, oh, ow)>"]
    for s in sorted({spec[6] for spec in DEPTHWISE}):
        maps.append("#dx%d = affine_map<(n, c, oh, ow, g, kh, kw) -> "
                    "(n, c + g, oh * %d + kh, ow * %d + kw)>" % (s, s, s))
    for kind, specs in (("fwd", CONVS), ("wgrad", WGRADS), ("dw", DEPTHWISE)):
        for i, spec in enumerate(specs):
            fn, text, (a, b, c), macs = kernel_fn(kind, i, spec)
            fns.append(text)
            kernels.append({"kernel": "%s %s" % (kind, spec[0]), "fn": fn,
                            "macs": macs})
            # Opaque inputs: varying values scaled by a runtime value, so
            # nothing folds (with one uniform fill value, LLVM's -O3 sees
            # through the kernel after inlining it into @main: the weight
            # gradients then timed a rewritten loop, not the kernel);
            # warm-up call, then reps calls carrying the output.
            zeros = ", ".join(["%c0"] * (c.count("x")))
            calls.append(
                varying_fill(f"%{fn}_a", f"%e_{fn}_a", a)
                + varying_fill(f"%{fn}_b", f"%e_{fn}_b", b)
                + varying_fill(f"%{fn}_c", f"%e_{fn}_c", c) +
                f"  %{fn}_w = func.call @{fn}(%{fn}_a, %{fn}_b, %{fn}_c) : ({a}, {b}, {c}) -> {c}\n"
                f"  %{fn}_t0 = func.call @cputime() : () -> f64\n"
                f"  %{fn}_r = scf.for %i = %c0 to %reps step %c1 iter_args(%acc = %{fn}_w) -> {c} {{\n"
                f"    %y = func.call @{fn}(%{fn}_a, %{fn}_b, %acc) : ({a}, {b}, {c}) -> {c}\n"
                f"    scf.yield %y : {c}\n  }}\n"
                f"  %{fn}_t1 = func.call @cputime() : () -> f64\n"
                f"  %{fn}_dt = arith.subf %{fn}_t1, %{fn}_t0 : f64\n"
                f"  %{fn}_x = tensor.extract %{fn}_r[{zeros}] : {c}\n"
                f"  vector.print str \"{fn} \"\n"
                f"  vector.print %{fn}_dt : f64\n"
                f"  vector.print %{fn}_x : f32\n")
            kernels[-1]["types"] = (a, b, c)
    empties = []
    for k in kernels:
        a, b, c = k["types"]
        for suffix, ty in (("a", a), ("b", b), ("c", c)):
            empties.append("  %%e_%s_%s = tensor.empty() : %s\n" % (k["fn"], suffix, ty))
    main = ("func.func private @rtclock() -> f64\n"
            "func.func private @cputime() -> f64\n"
            "func.func @main() {\n"
            "  %%c0 = arith.constant 0 : index\n"
            "  %%c1 = arith.constant 1 : index\n"
            "  %%reps = arith.constant %d : index\n"
            # An input value the compiler cannot know: 0 * (a clock reading)
            # + 1e-3 (no fast-math: 0 * t does not fold).
            "  %%now = func.call @rtclock() : () -> f64\n"
            "  %%nowf = arith.truncf %%now : f64 to f32\n"
            "  %%zero = arith.constant 0.0 : f32\n"
            "  %%milli = arith.constant 1.0e-3 : f32\n"
            "  %%z = arith.mulf %%nowf, %%zero : f32\n"
            "  %%v = arith.addf %%z, %%milli : f32\n"
            "%s%s  return\n}\n" % (reps, "".join(empties), "".join(calls)))
    return "\n".join(maps) + "\n" + "".join(fns) + main, kernels


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu-options", default="")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = a.out or os.path.join(a.build, "bench-conv")
    os.makedirs(out, exist_ok=True)
    text, kernels = build_module(a.reps)
    src = os.path.join(out, "kernels.mlir")
    with open(src, "w") as f:
        f.write(text)
    lowered = os.path.join(out, "kernels.llvm.mlir")
    pipeline = "builtin.module(flops-lower-to-cpu{num-threads=1 %s})" % a.cpu_options
    run([os.path.join(a.build, "bin", "flops-opt"), src,
         "--pass-pipeline=" + pipeline, "-o", lowered])
    peak = os.path.join(out, "peak")
    run(["gcc", "-O2", "-march=native", "-DCPU_TIME",
         os.path.join(ROOT, "benchmarks", "conv", "peak.c"), "-o", peak])
    helper_c = os.path.join(out, "cputime.c")
    with open(helper_c, "w") as f:
        f.write("#include <time.h>\n"
                "double cputime(void) {\n"
                "  struct timespec t;\n"
                "  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);\n"
                "  return t.tv_sec + 1e-9 * t.tv_nsec;\n}\n")
    helper = os.path.join(out, "libcputime.so")
    run(["gcc", "-O2", "-shared", "-fPIC", helper_c, "-o", helper])
    pin = ["taskset", "-c", str(a.core)]
    runtime = os.path.join(a.build, "lib", "libFlopsRuntime.so")
    libs = ",".join([os.path.join(LLVM, "lib", "libmlir_runner_utils.so"),
                     os.path.join(LLVM, "lib", "libmlir_c_runner_utils.so"), runtime,
                     helper])
    load_before = run(["uptime"]).strip()
    peaks = [json.loads(run(pin + [peak]))]
    times = {k["fn"]: [] for k in kernels}
    for _ in range(a.rounds):
        o = run(pin + [os.path.join(LLVM, "bin", "mlir-runner"), lowered, "-e", "main",
                       "-entry-point-result=void", "-O3", "-shared-libs=" + libs])
        lines = [l.strip() for l in o.splitlines() if l.strip()]
        for l in lines:  # "fwd0 <seconds for reps calls>"
            parts = l.split()
            if len(parts) == 2 and parts[0] in times:
                times[parts[0]].append(float(parts[1]) / a.reps)
    peaks.append(json.loads(run(pin + [peak])))
    load_after = run(["uptime"]).strip()
    peak_gflops = max(p["gflops_best_of_5"] for p in peaks)
    print("load before: " + load_before)
    print("load after:  " + load_after)
    print("peak (peak.c, core %d): %s GFLOP/s" % (
        a.core, " / ".join("%.1f" % p["gflops_best_of_5"] for p in peaks)))
    print("lowering: " + pipeline)
    print()
    print("| kernel (n = 16) | MFLOP per call | CPU ms per call (median of %d) | GFLOP/s | %% of peak |"
          % a.rounds)
    print("|---|---|---|---|---|")
    with open(os.path.join(out, "kernels.jsonl"), "w") as f:
        for k in kernels:
            ms = statistics.median(times[k["fn"]]) * 1e3
            gf = 2 * k["macs"] / (ms * 1e-3) / 1e9
            print("| %s | %.1f | %.3f | %.1f | %.0f %% |" % (
                k["kernel"], 2 * k["macs"] / 1e6, ms, gf, 100 * gf / peak_gflops))
            f.write(json.dumps({"kernel": k["kernel"], "mflop": 2 * k["macs"] / 1e6,
                                "ms": ms, "gflops": gf, "peak_gflops": peak_gflops,
                                "cpu_options": a.cpu_options}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
