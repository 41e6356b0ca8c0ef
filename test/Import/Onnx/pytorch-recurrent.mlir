// nn.GRU and nn.LSTM (batch_first, static sequence length 6, linear head on
// the last step) and a token-embedding transformer encoder (nn.Embedding +
// nn.TransformerEncoder with a causal float mask, int64 token ids as the
// data argument) exported by torch.onnx (opset 17, dynamic batch),
// imported, run by flops-run and compared with PyTorch (rtol = atol =
// 1e-3) by examples/onnx/zoo.py (no torchvision needed for these three).
//
// REQUIRES: onnx, torch
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %flops_src_root/examples/onnx/zoo.py --build %flops_obj_root --models gru,lstm,encoder --no-train --check --work %t/w | FileCheck %s
// RUN: FileCheck %s --check-prefix=IDS < %t/w/encoder/model.mlir

// CHECK: | gru | yes | yes
// CHECK: | lstm | yes | yes
// CHECK: | encoder | yes | yes
// CHECK: all checks passed

// IDS-LABEL: func.func @forward(
// IDS-SAME: tensor<?x8xi64> {flops.name = "x"}
