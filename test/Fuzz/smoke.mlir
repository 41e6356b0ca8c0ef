// Smoke run of every fuzz target (fuzz/, docs/RELIABILITY.md): the seed
// inputs from the repository, then thousands of deterministic mutations of
// them (bit flips, byte changes, insertions, deletions, truncation,
// splicing) through the readers, the ONNX importer and the IR front door
// (parse + verify + flops-forward-train). Any crash fails the test and
// leaves the input in fuzz-crash-<target>. scripts/fuzz.sh runs the same
// targets coverage-guided under libFuzzer + ASan/UBSan for long runs.
// RUN: rm -rf %t && mkdir -p %t/npy %t/idx %t/st && cd %t
// RUN: %python %S/../Tools/Inputs/write-npy.py %t/npy/f4.npy '<f4' 4,4 1.5
// RUN: %python %S/../Tools/Inputs/write-npy.py %t/npy/i8.npy '<i8' 4 1
// RUN: %python %S/../Tools/Inputs/write-npy.py %t/npy/f8.npy '<f8' 1,1,2 -2
// RUN: %python -c "import struct, sys; open(sys.argv[1], 'wb').write(struct.pack('>IIII', 0x803, 2, 3, 3) + bytes(range(18)))" %t/idx/images.idx
// RUN: %python -c "import gzip, struct, sys; open(sys.argv[1], 'wb').write(gzip.compress(struct.pack('>II', 0x801, 5) + bytes([0, 1, 2, 9, 4])))" %t/idx/labels.idx.gz
// RUN: flops-run %S/../Tools/Inputs/gen-linear-params.mlir --output %t/st/params.safetensors
// RUN: flops-train %S/../Tools/Inputs/mlp-4-16-2.mlir --train-npy %t/npy/f4.npy --train-labels %t/npy/i8.npy --batch-size 2 --epochs 0 --save %t/st/ckpt.safetensors --progress=false --no-cache
// RUN: flops-fuzz-npy -runs=20000 -seed=1 %t/npy %S/../Import/Onnx/Inputs/linear-x.npy | FileCheck %s --check-prefix=NPY
// RUN: flops-fuzz-safetensors -runs=20000 -seed=2 %t/st | FileCheck %s --check-prefix=ST
// RUN: flops-fuzz-idx -runs=5000 -seed=3 %t/idx | FileCheck %s --check-prefix=IDX
// RUN: flops-fuzz-ir -runs=1000 -seed=4 %S/../Tools/Inputs/mlp-4-16-2.mlir %S/../Tools/Inputs/linear-100.mlir %S/../../examples/cnn.mlir %S/../Tools/Inputs/identity-2.mlir | FileCheck %s --check-prefix=IR
// NPY: flops-fuzz-npy: 4 inputs, 20000 mutations (seed 1), no crash
// ST: flops-fuzz-safetensors: 2 inputs, 20000 mutations (seed 2), no crash
// IDX: flops-fuzz-idx: 2 inputs, 5000 mutations (seed 3), no crash
// IR: flops-fuzz-ir: 4 inputs, 1000 mutations (seed 4), no crash
