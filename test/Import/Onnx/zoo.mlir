// The model zoo, fast subset (examples/onnx/zoo.py --subset fast): torchvision
// architectures exported by torch.onnx (opset 17, dynamic batch, random init
// with a fixed seed, eval mode) at 32x32, imported, run by flops-run and
// compared with PyTorch (rtol = atol = 1e-3); one training step with
// flops-train (4 synthetic rows: finite loss, every parameter changed) for
// the models whose train step compiles in seconds (VGG, ConvNeXt, the text
// encoder, GRU, LSTM; the others' train steps compile for minutes and run
// in the full zoo: `ninja check-flops-zoo`; so do the small RegNetY and
// EfficientNet, imported and compared here). --check fails unless
// every model imports and matches and every model of the script's
// EXPECTED_TO_TRAIN list (among those trained here) trains; a model that
// does not train is listed with its error. Exports are cached under
// build/onnx-zoo/. The full zoo (every architecture, every training step)
// is the table in docs/ONNX.md.
//
// REQUIRES: onnx, torch, torchvision
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %flops_src_root/examples/onnx/zoo.py --build %flops_obj_root --subset fast --check --work %t | FileCheck %s

// CHECK: | vgg | yes | yes ({{.*}}) | yes |
// CHECK: | convnext | yes | yes ({{.*}}) | yes |
// CHECK: | encoder | yes | yes ({{.*}}) | yes |
// CHECK: | gru | yes | yes ({{.*}}) | yes |
// CHECK: | lstm | yes | yes ({{.*}}) | yes |
// CHECK: | mobilenet_v2 | yes | yes ({{.*}}) |
// CHECK: | shufflenet_v2 | yes | yes ({{.*}}) |
// CHECK: | vit | yes | yes ({{.*}}) |
// CHECK: | densenet | yes | yes ({{.*}}) |
// CHECK: | squeezenet1_1 | yes | yes ({{.*}}) |
// CHECK: | swin | yes | yes ({{.*}}) |
// CHECK: | regnet_small | yes | yes ({{.*}}) |
// CHECK: | efficientnet_small | yes | yes ({{.*}}) |
// CHECK: all checks passed
