"""The model zoo: real PyTorch architectures through flops-import-onnx.

    /usr/bin/python3 examples/onnx/zoo.py --build BUILD [--models a,b,...]
        [--subset fast|all] [--no-train] [--check] [--opset N]

For each architecture (torchvision 0.14 classification families at a small
input, a token-embedding transformer encoder with an attention mask, GRU and
LSTM): exports it with torch.onnx (dynamic batch, random init with a fixed
seed, eval mode), imports it with flops-import-onnx, runs it with flops-run
on a batch of 2 and compares with PyTorch (rtol = atol = 1e-3), then (a
separate column) runs one training step with flops-train on a few rows of
synthetic .npy data, checking that the loss is finite and that every
trainable parameter changed, and records the compile seconds of the train
step (wall, and the compile's CPU seconds from --verbose), the load average
around it and the step milliseconds (wall and CPU); flops-train's output is
kept as WORK/MODEL/train.log.

Exports are cached under BUILD/onnx-zoo/<key>/, keyed by the torch version
and this script's hash. Prints a markdown table (architecture / imports /
matches / trains / compile s / compile CPU s / load / step ms / step CPU ms
/ zoo s) and, below it, the reason of every failure. With --check it exits 1 unless every selected model imports and
matches, and every model of EXPECTED_TO_TRAIN (among the selected) trains.
"""
import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import time

import numpy as np

# Models the estimator is expected to train today (measured: the table in
# docs/ONNX.md); --check fails when one of them does not train, and notes
# (without failing) a model outside the list that does. Every model of the
# zoo is accepted by flops-forward-train (all its layers have rules) and
# trains one step; the big ones' train steps compile for minutes on the
# loaded 2-core machine (Inception v3: 130 CPU-s, 635 s wall at load 11-14;
# EfficientNet-B0 and RegNetY-400MF: 1128 s and 1040 s wall at load 17-29,
# docs/ONNX.md), so give them a --train-timeout of an hour there.
EXPECTED_TO_TRAIN = {
    "resnet18", "resnext", "mobilenet_v2", "mobilenet_v3", "efficientnet",
    "regnet", "squeezenet1_1",
    "shufflenet_v2", "googlenet", "inception_v3", "regnet_small",
    "efficientnet_small", "inception_small",
    "mnasnet", "densenet", "convnext", "vgg", "vit", "swin", "encoder",
    "gru", "lstm"}

# The fast subset that the lit test runs (test/Import/Onnx/zoo.mlir):
# name -> whether to run the training step (False where compiling the train
# step alone takes minutes on two cores; the full zoo, `--check` without
# --subset, or the check-flops-zoo target, runs it).
FAST = {"vgg": True, "convnext": True, "encoder": True, "gru": True,
        "lstm": True, "mobilenet_v2": False, "shufflenet_v2": False,
        "vit": False, "densenet": False, "squeezenet1_1": False,
        "swin": False, "regnet_small": False, "efficientnet_small": False}


def build_models():
    """name -> (constructor, input shape without batch, input kind)."""
    import torch
    import torch.nn as nn

    class _LazyModels:  # torchvision only for the models that need it
        def __getattr__(self, name):
            import torchvision
            return getattr(torchvision.models, name)

    M = _LazyModels()

    def resnet18():
        return M.resnet18(num_classes=10)

    def resnext():
        from torchvision.models.resnet import Bottleneck, ResNet
        return ResNet(Bottleneck, [1, 1, 1, 1], groups=8, width_per_group=4,
                      num_classes=10)

    def mobilenet_v2():
        return M.mobilenet_v2(num_classes=10, width_mult=0.25)

    def mobilenet_v3():
        return M.mobilenet_v3_small(num_classes=10)

    def efficientnet():
        return M.efficientnet_b0(num_classes=10)

    def regnet():
        return M.regnet_y_400mf(num_classes=10)

    # Small members of the three families whose stock models' train steps
    # compile for many minutes on two cores: the same torchvision building
    # blocks, fewer and narrower.
    def regnet_small():
        # RegNetY blocks (grouped 3x3 convolution, squeeze-excitation):
        # two stages of one block, widths 16/32, group width 8.
        from torchvision.models.regnet import BlockParams, RegNet
        params = BlockParams(depths=[1, 1], widths=[16, 32],
                             group_widths=[8, 8],
                             bottleneck_multipliers=[1.0, 1.0],
                             strides=[2, 2], se_ratio=0.25)
        return RegNet(params, num_classes=10, stem_width=16)

    def efficientnet_small():
        # The first three stages of EfficientNet-B0 (MBConv: depthwise
        # 3x3/5x5, squeeze-excitation, SiLU, stochastic depth), one layer
        # each, width 0.5, a 64-channel head convolution.
        from torchvision.models.efficientnet import EfficientNet, MBConvConfig
        setting = [MBConvConfig(1, 3, 1, 32, 16, 1, width_mult=0.5),
                   MBConvConfig(6, 3, 2, 16, 24, 1, width_mult=0.5),
                   MBConvConfig(6, 5, 2, 24, 40, 1, width_mult=0.5)]
        return EfficientNet(setting, dropout=0.2, num_classes=10,
                            last_channel=64)

    def inception_small():
        # One block of each Inception v3 type (A: 5x5 and double 3x3
        # branches, B: strided reduction, C: factorised 1x7/7x1, D: strided
        # 1x7/7x1 reduction, E: split 1x3/3x1 branches) after a one-
        # convolution stem; torchvision's blocks with their widths.
        from torchvision.models import inception as inc

        class InceptionSmall(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    inc.BasicConv2d(3, 16, kernel_size=3, stride=2),
                    inc.InceptionA(16, pool_features=8),  # -> 232
                    inc.InceptionB(232),                  # -> 712
                    inc.InceptionC(712, channels_7x7=16),  # -> 768
                    inc.InceptionD(768),                  # -> 1280
                    inc.InceptionE(1280))                 # -> 2048
                self.fc = nn.Linear(2048, 10)

            def forward(self, x):
                x = self.features(x).mean(dim=(2, 3))
                return self.fc(x)

        return InceptionSmall()

    def shufflenet_v2():
        return M.shufflenet_v2_x0_5(num_classes=10)

    def squeezenet1_1():
        return M.squeezenet1_1(num_classes=10)

    def mnasnet():
        return M.mnasnet0_5(num_classes=10)

    def densenet():
        from torchvision.models.densenet import DenseNet
        return DenseNet(growth_rate=8, block_config=(2, 2, 2, 2),
                        num_init_features=16, bn_size=2, num_classes=10)

    def googlenet():
        return M.googlenet(num_classes=10, aux_logits=False,
                           init_weights=True)

    def inception_v3():
        return M.inception_v3(num_classes=10, aux_logits=False,
                              init_weights=True)

    def convnext():
        from torchvision.models.convnext import CNBlockConfig, ConvNeXt
        return ConvNeXt([CNBlockConfig(24, 48, 1), CNBlockConfig(48, None, 1)],
                        num_classes=10)

    def vgg():
        from torchvision.models.vgg import VGG, make_layers
        m = VGG(make_layers([8, "M", 16, "M", 32, 32, "M", 64, 64, "M"],
                            batch_norm=True), num_classes=10)
        # The stock head pools to 7x7 (an upsampling adaptive pool at 32x32
        # that torch.onnx cannot export) and has 100 M parameters.
        m.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        m.classifier = nn.Sequential(nn.Linear(64, 64), nn.ReLU(True),
                                     nn.Dropout(), nn.Linear(64, 10))
        return m

    def vit():
        from torchvision.models.vision_transformer import VisionTransformer
        return VisionTransformer(image_size=32, patch_size=8, num_layers=2,
                                 num_heads=4, hidden_dim=64, mlp_dim=128,
                                 num_classes=10)

    def swin():
        from torchvision.models.swin_transformer import SwinTransformer
        return SwinTransformer(patch_size=[4, 4], embed_dim=24, depths=[2, 2],
                               num_heads=[2, 4], window_size=[4, 4],
                               num_classes=10)

    class Encoder(nn.Module):
        """nn.Embedding + learned positions + nn.TransformerEncoder (causal
        attention mask) + mean pooling + linear head over token ids."""

        def __init__(self, vocab=50, seq=8, dim=32):
            super().__init__()
            self.emb = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(torch.randn(1, seq, dim) * 0.1)
            layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.1,
                                               batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 2)
            self.head = nn.Linear(dim, 10)
            self.register_buffer(
                "mask", torch.triu(torch.full((seq, seq), float("-inf")), 1))

        def forward(self, ids):
            x = self.emb(ids) + self.pos
            x = self.enc(x, mask=self.mask)
            return self.head(x.mean(dim=1))

    class Recurrent(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.rnn = cell(8, 16, batch_first=True)
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            y, _ = self.rnn(x)
            return self.head(y[:, -1])

    img32 = ((3, 32, 32), "image")
    img64 = ((3, 64, 64), "image")
    return {
        "resnet18": (resnet18, *img32),
        "resnext": (resnext, *img32),
        "mobilenet_v2": (mobilenet_v2, *img32),
        "mobilenet_v3": (mobilenet_v3, *img32),
        "efficientnet": (efficientnet, *img32),
        "regnet": (regnet, *img32),
        "regnet_small": (regnet_small, *img32),
        "efficientnet_small": (efficientnet_small, *img32),
        "inception_small": (inception_small, *img32),
        "shufflenet_v2": (shufflenet_v2, *img32),
        "squeezenet1_1": (squeezenet1_1, *img32),
        "mnasnet": (mnasnet, *img32),
        "densenet": (densenet, *img32),
        "googlenet": (googlenet, *img64),
        "inception_v3": (inception_v3, (3, 75, 75), "image"),
        "convnext": (convnext, *img32),
        "vgg": (vgg, *img32),
        "vit": (vit, *img32),
        "swin": (swin, *img32),
        "encoder": (Encoder, (8,), "tokens50"),
        "gru": (lambda: Recurrent(nn.GRU), (6, 8), "image"),
        "lstm": (lambda: Recurrent(nn.LSTM), (6, 8), "image"),
    }


ORDER = ["resnet18", "resnext", "mobilenet_v2", "mobilenet_v3", "efficientnet",
         "regnet", "regnet_small", "efficientnet_small", "inception_small",
         "shufflenet_v2", "squeezenet1_1", "mnasnet", "densenet",
         "googlenet", "inception_v3", "convnext", "vgg", "vit", "swin",
         "encoder", "gru", "lstm"]


def make_input(shape, kind, rows, seed):
    rng = np.random.default_rng(seed)
    if kind.startswith("tokens"):
        vocab = int(kind[len("tokens"):])
        return rng.integers(0, vocab, size=(rows,) + shape).astype(np.int64)
    return rng.standard_normal((rows,) + shape).astype(np.float32)


def export(name, entry, opset, out_dir):
    """Writes model.onnx, input.npy and expected.npy (batch 2)."""
    import torch
    ctor, shape, kind = entry
    torch.manual_seed(0)
    model = ctor().eval()
    # Fresh initialisations repeat values (zero biases, unit norm scales,
    # cloned encoder layers), which torch.onnx merges into one initializer
    # shared by several layers; a little noise keeps every weight distinct.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    if name == "inception_v3":
        # torchvision's initialisation (truncated normal, std 0.1) with fresh
        # BatchNorm statistics (mean 0, variance 1) lets the eval-mode
        # activations grow through its 94 layers: logits of 3e8 at 75x75, a
        # loss of 2.7e8 in the train step. Its running statistics are set
        # from four random batches in training mode instead (cumulative
        # averages), as a trained model's would be: logits of a few units.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        model.train()
        g = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for _ in range(4):
                model(torch.randn((16,) + shape, generator=g))
        model.eval()
    x = make_input(shape, kind, 2, 1)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    # Trace with gradients enabled: nn.TransformerEncoderLayer's inference
    # fast path (not exportable) is taken only without them.
    torch.onnx.export(model, (torch.from_numpy(x),),
                      os.path.join(out_dir, "model.onnx"), opset_version=opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), want)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dt = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
          "I64": np.int64, "U8": np.uint8}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=dt[v["dtype"]]).reshape(
            v["shape"])
    return out


def first_error(text):
    errs = [l.strip() for l in text.splitlines() if "error" in l]
    if errs:
        # "...failed on M.mlir:" is followed by the diagnostic with the reason.
        if errs[0].endswith(":") and len(errs) > 1:
            return errs[0] + " " + errs[1]
        return errs[0]
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "failed"


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {timeout} s: {' '.join(cmd)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True,
                    help="build dir (tools in bin/, exports cached in "
                         "onnx-zoo/)")
    ap.add_argument("--models", default="", help="comma-separated names")
    ap.add_argument("--subset", default="all", choices=["fast", "all"])
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--work", default="",
                    help="where imports and runs write (default: the cache)")
    ap.add_argument("--train-timeout", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0,
                    help="flops-train --num-threads (0: its default)")
    args = ap.parse_args()

    import torch
    tools = os.path.join(args.build, "bin")
    # Exports depend on the models and the export code only (not on the
    # lists above), so editing the lists keeps the cache.
    import inspect
    src = "".join(inspect.getsource(f) for f in (build_models, make_input,
                                                 export))
    script_hash = hashlib.sha256(src.encode()).hexdigest()[:12]
    key = f"torch{torch.__version__}-opset{args.opset}-{script_hash}"
    cache = os.path.join(args.build, "onnx-zoo", key)
    os.makedirs(cache, exist_ok=True)

    zoo = build_models()
    names = ([n for n in args.models.split(",") if n] if args.models
             else list(FAST) if args.subset == "fast" else ORDER)
    for n in names:
        if n not in zoo:
            sys.exit(f"zoo.py: unknown model {n} (known: {', '.join(ORDER)})")

    rows, notes = [], []
    ok = True
    for name in names:
        d = os.path.join(cache, name)
        row = {"name": name, "imports": "no", "matches": "-", "trains": "-",
               "compile": "-", "cpu": "-", "load": "-", "step": "-",
               "step_cpu": "-", "start": time.time()}
        onnx_path = os.path.join(d, "model.onnx")
        if not os.path.exists(os.path.join(d, "expected.npy")):
            # Export into a private directory, then rename it into place
            # (concurrent runs share the cache).
            tmp = f"{d}.tmp{os.getpid()}"
            os.makedirs(tmp, exist_ok=True)
            try:
                export(name, zoo[name], args.opset, tmp)
            except Exception as e:  # report, do not hide
                row["imports"] = "export failed"
                notes.append(f"{name}: torch.onnx.export: {e}".splitlines()[0])
                rows.append(row)
                ok = False
                continue
            try:
                os.rename(tmp, d)
            except OSError:  # another run was first
                subprocess.run(["rm", "-rf", tmp])
        work = os.path.join(args.work, name) if args.work else d
        os.makedirs(work, exist_ok=True)
        mlir = os.path.join(work, "model.mlir")
        weights = os.path.join(work, "model.safetensors")
        t0 = time.time()
        rc, out = run([os.path.join(tools, "flops-import-onnx"), onnx_path,
                       "-o", mlir], 300)
        if rc != 0:
            notes.append(f"{name}: import: {first_error(out)}")
            rows.append(row)
            ok = False
            continue
        row["imports"] = "yes"
        got = os.path.join(work, "got.npy")
        cmd = [os.path.join(tools, "flops-run"), mlir, "--input",
               os.path.join(d, "input.npy"), "--output", got]
        if os.path.exists(weights):
            cmd += ["--params", weights]
        rc, out = run(cmd, 600)
        if rc != 0:
            row["matches"] = "no"
            notes.append(f"{name}: flops-run: {first_error(out)}")
            ok = False
        else:
            g = np.load(got).astype(np.float64)
            w = np.load(os.path.join(d, "expected.npy")).astype(np.float64)
            if g.shape != w.shape:
                row["matches"] = "no"
                notes.append(f"{name}: output shape {g.shape} != {w.shape}")
                ok = False
            else:
                err = np.abs(g - w)
                scale = max(np.abs(w).max(), 1.0)
                if np.all(err <= 1e-3 + 1e-3 * np.abs(w)):
                    row["matches"] = f"yes ({err.max() / scale:.0e})"
                else:
                    row["matches"] = "no"
                    notes.append(f"{name}: max abs error {err.max():.3g}")
                    ok = False
        if args.no_train:
            rows.append(row)
            continue
        if args.subset == "fast" and not args.models and not FAST[name]:
            row["trains"] = "skipped (fast subset)"
            rows.append(row)
            continue
        # One training step on 4 synthetic rows (batch 4, 2 queries).
        ctor, shape, kind = zoo[name]
        x = make_input(shape, kind, 4, 2)
        y = np.random.default_rng(3).integers(0, 10, size=4).astype(np.int64)
        xp, yp = os.path.join(work, "train-x.npy"), os.path.join(work,
                                                                 "train-y.npy")
        np.save(xp, x)
        np.save(yp, y)
        saved = os.path.join(work, "trained.safetensors")
        metrics = os.path.join(work, "metrics.jsonl")
        cmd = [os.path.join(tools, "flops-train"), mlir, "--train-npy", xp,
               "--train-labels", yp, "--batch-size", "4", "--queries", "2",
               "--epochs", "1", "--lr", "0.01", "--progress=false",
               "--save", saved, "--metrics", metrics, "--verbose"]
        if os.path.exists(weights):
            cmd += ["--params", weights]
        if args.threads:
            cmd += ["--num-threads", str(args.threads)]
        load0 = os.getloadavg()[0]
        rc, out = run(cmd, args.train_timeout)
        with open(os.path.join(work, "train.log"), "w") as f:
            f.write(out)  # the compile phases (--verbose) and the epoch line
        # The machine is shared: the 1-minute load average before and after
        # the step, and the compile's own CPU seconds (--verbose), next to
        # its wall seconds.
        row["load"] = f"{load0:.0f}-{os.getloadavg()[0]:.0f}"
        m = re.search(r"compiled in ([0-9.]+) s", out)
        if m:
            row["compile"] = m.group(1)
        m = re.search(r"compile phases \(CPU s\):.*; total ([0-9.]+)", out)
        if m:
            row["cpu"] = m.group(1)
        if rc != 0:
            row["trains"] = "no"
            notes.append(f"{name}: flops-train: {first_error(out)}")
        else:
            rec = [json.loads(l) for l in open(metrics) if l.strip()][-1]
            row["step"] = f"{1000 * rec['seconds'] / max(rec['steps'], 1):.3g}"
            if "cpu_seconds" in rec:  # the process's CPU time (all threads)
                row["step_cpu"] = (
                    f"{1000 * rec['cpu_seconds'] / max(rec['steps'], 1):.3g}")
            before = read_safetensors(weights) if os.path.exists(weights) else {}
            after = read_safetensors(saved)
            same = [k for k, v in after.items()
                    if k in before and np.array_equal(v, before[k])]
            if not np.isfinite(rec["train_loss"]):
                row["trains"] = "no"
                notes.append(f"{name}: non-finite loss {rec['train_loss']}")
            elif same:
                row["trains"] = "no"
                notes.append(f"{name}: {len(same)} of {len(after)} parameters "
                             f"unchanged after one step: "
                             f"{', '.join(same[:4])}{' ...' if len(same) > 4 else ''}")
            else:
                row["trains"] = "yes"
        if name in EXPECTED_TO_TRAIN and row["trains"] != "yes":
            ok = False
        if name not in EXPECTED_TO_TRAIN and row["trains"] == "yes":
            notes.append(f"{name}: trains but is not in EXPECTED_TO_TRAIN "
                         f"(update the list)")
        rows.append(row)
        # Progress on stderr (the table comes at the end).
        print(f"zoo: {name}: imports {row['imports']}, matches "
              f"{row['matches']}, trains {row['trains']}, compile "
              f"{row['compile']} s ({row['cpu']} CPU-s, load {row['load']}), "
              f"step {row['step']} ms ({row['step_cpu']} CPU-ms) "
              f"({time.time() - row['start']:.0f} s)", file=sys.stderr,
              flush=True)

    for i, r in enumerate(rows):  # wall seconds per model
        end = rows[i + 1]["start"] if i + 1 < len(rows) else time.time()
        r["s"] = f"{end - r['start']:.0f}"
    print("| architecture | imports | matches PyTorch (max err / max abs y) | "
          "trains | compile s | compile CPU s | load | step ms | step CPU ms | "
          "zoo s |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['name']} | {r['imports']} | {r['matches']} | "
              f"{r['trains']} | {r['compile']} | {r['cpu']} | {r['load']} | "
              f"{r['step']} | {r['step_cpu']} | {r['s']} |")
    for n in notes:
        print(f"- {n}")
    print(f"zoo: {key}; {'all checks passed' if ok else 'FAILED'}")
    sys.exit(0 if ok or not args.check else 1)


if __name__ == "__main__":
    main()
