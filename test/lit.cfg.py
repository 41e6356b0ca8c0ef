# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "FLOPS"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "lib", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.flops_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", ".so"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# The project's tools first, then LLVM 22's (never /usr/bin's LLVM 14).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.flops_tools_dir, append_path=True)

runner_utils = os.path.join(config.llvm_lib_dir, "libmlir_runner_utils.so")
c_runner_utils = os.path.join(config.llvm_lib_dir, "libmlir_c_runner_utils.so")
flops_runtime = os.path.join(config.flops_lib_dir, "libFlopsRuntime.so")
# %run: execute a module lowered by flops-reference-to-llvm. Inserted first so
# that the %mlir_* / %flops_runtime substitutions inside it expand afterwards.
config.substitutions.insert(
    0,
    ("%run",
     "mlir-runner -e main -entry-point-result=void "
     "-shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%flops_runtime"))
# %run_omp: %run with the OpenMP runtime (code from flops-lower-to-cpu with
# num-threads > 1 calls __kmpc_*); Debian's libomp-dev / libomp5-14. First
# in the list, before %run (a prefix of it).
config.substitutions.insert(
    0,
    ("%run_omp",
     "mlir-runner -e main -entry-point-result=void "
     "-shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%flops_runtime,%libomp"))
config.substitutions.append(("%libomp", "/usr/lib/x86_64-linux-gnu/libomp.so.5"))
config.substitutions.append(("%flops_src_root", config.flops_src_root))
config.substitutions.append(("%mlir_runner_utils", runner_utils))
config.substitutions.append(("%mlir_c_runner_utils", c_runner_utils))
config.substitutions.append(("%flops_runtime", flops_runtime))

tool_dirs = [config.flops_tools_dir, config.llvm_tools_dir]
tools = [
    "flops-opt",
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The ONNX importer (built when libonnx-dev is installed), Debian's ONNX
# backend test data, and a Python that can export PyTorch models to ONNX.
if os.path.exists(os.path.join(config.flops_tools_dir, "flops-import-onnx")):
    config.available_features.add("onnx")
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
# Debian's dataset-fashion-mnist (flops-train's default data).
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")
import subprocess
try:
    if subprocess.run(["/usr/bin/python3", "-c", "import torch, onnx, numpy"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      timeout=120).returncode == 0:
        config.available_features.add("torch")
except (OSError, subprocess.TimeoutExpired):
    pass
config.substitutions.append(("%python", "/usr/bin/python3"))

# A sanitized build (scripts/sanitize.sh): flops-compile's programs link the
# sanitizer runtimes (their static libraries are instrumented), so the exact
# NEEDED lists of the compiled-program tests read `| %drop_sanitizer_libs`.
if "-fsanitize=" in getattr(config, "cxx_flags", ""):
    config.available_features.add("sanitized")
    config.substitutions.append(
        ("%drop_sanitizer_libs", "grep -v -e libasan -e libubsan"))
else:
    config.substitutions.append(("%drop_sanitizer_libs", "cat"))

# CUDA: `cuda-toolkit` when the configured toolkit has ptxas (GPU code
# generation tests), `cuda-device` only when flops-gpu-info finds a usable
# device (GPU-executing tests; test/GPU).
cuda_toolkit_dir = getattr(config, "cuda_toolkit_dir", "")
if cuda_toolkit_dir and os.path.exists(os.path.join(cuda_toolkit_dir, "bin", "ptxas")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_toolkit_dir", cuda_toolkit_dir))
config.substitutions.append(("%flops_lib_dir", config.flops_lib_dir))
try:
    if subprocess.run([os.path.join(config.flops_tools_dir, "flops-gpu-info")],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      timeout=120).returncode == 0:
        config.available_features.add("cuda-device")
except (OSError, subprocess.TimeoutExpired):
    pass
# %run_gpu: %run with libFlopsCudaRuntime (the mgpu* host runtime) instead of
# the CPU runtime; %flops_fake_cuda: the test-only fake driver.
config.substitutions.insert(
    0,
    ("%run_gpu",
     "mlir-runner -e main -entry-point-result=void "
     "-shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%flops_cuda_runtime"))
config.substitutions.append(
    ("%flops_cuda_runtime", os.path.join(config.flops_lib_dir, "libFlopsCudaRuntime.so")))
config.substitutions.append(
    ("%flops_fake_cuda", os.path.join(config.flops_lib_dir, "libFlopsFakeCuda.so")))
config.substitutions.append(("%flops_obj_root", config.flops_obj_root))
# torchvision (Debian's python3-torchvision) for the model zoo test.
try:
    if subprocess.run(["/usr/bin/python3", "-c", "import torchvision"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      timeout=120).returncode == 0:
        config.available_features.add("torchvision")
except (OSError, subprocess.TimeoutExpired):
    pass

# Debian's mlir-opt-22 (test/Plugin loads libFlopsPlugin.so into it).
import shutil
if shutil.which("mlir-opt-22"):
    config.available_features.add("mlir-opt-22")

# test/Install: install + consumer build (about a minute); opt-in.
if lit_config.params.get("install-test"):
    config.available_features.add("install-test")
