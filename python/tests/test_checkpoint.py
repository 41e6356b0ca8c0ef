"""state_dict / save / load in flops-train's format; one step equals one
flops-train step bit for bit."""

import os
import subprocess

import numpy as np
import pytest

import flops
from models import MLP, blobs

OPTS = dict(batch_size=32, queries=8, seed=3, num_threads=1)


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint8)


def test_state_dict_round_trip(tmp_path):
    model = flops.Model.from_mlir(MLP, "mlp16.mlir")
    a = flops.Trainer(model, **OPTS)
    x, y = blobs(64)
    a.step(x[:32], y[:32])
    a.step(x[32:], y[32:])
    sd = a.state_dict()
    assert list(sd)[:4] == ["fc1.weight", "fc1.bias", "fc2.weight",
                            "fc2.bias"]
    assert any(k.startswith("state.adam_m.") for k in sd)
    path = tmp_path / "ckpt.safetensors"
    a.save(path)
    b = flops.Trainer(model, **dict(OPTS, seed=4))
    meta = b.load(path)
    assert meta["format"] == "flops-train" and meta["step"] == "2"
    assert b.steps == 2
    for k, v in sd.items():
        assert np.array_equal(bits(b.state_dict()[k]), bits(v)), k
    # The same next step from the same state and step counter (the noise
    # seed is the trainer's: give b the same one).
    c = flops.Trainer(model, **OPTS)
    c.load_state_dict(sd)
    c._t.step_count = 2
    ma, mc = a.step(x[:32], y[:32]), c.step(x[:32], y[:32])
    assert ma == mc
    # A parameters-only dict is enough with strict=False.
    d = flops.Trainer(model, **OPTS)
    d.load_state_dict({k: sd[k] for k in ["fc1.weight", "fc1.bias",
                                          "fc2.weight", "fc2.bias"]},
                      strict=False)
    with pytest.raises(flops.FlopsError, match="no tensor 'state.adam_m"):
        d.load_state_dict({k: sd[k] for k in ["fc1.weight", "fc1.bias",
                                              "fc2.weight", "fc2.bias"]})
    with pytest.raises(flops.FlopsError, match="has shape"):
        d.load_state_dict(dict(sd, **{"fc1.bias": np.zeros(3, np.float32)}))


@pytest.mark.parametrize("allocator,extra", [
    ("uniform", {}), ("gaussian", {}),
    ("uniform", {"estimator": "spsa"}),
    ("uniform", {"perturb": "layer-wise"})])
def test_step_equals_flops_train(tmp_path, build_dir, allocator, extra):
    tool = os.path.join(build_dir, "bin", "flops-train")
    if not os.path.exists(tool):
        pytest.skip("no flops-train in " + build_dir)
    model_path = tmp_path / "mlp16.mlir"
    model_path.write_text(MLP)
    x, y = blobs(96, seed=5)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    ckpt = tmp_path / "train.safetensors"
    lr = 0.01
    subprocess.run(
        [tool, str(model_path), "--train-npy", str(tmp_path / "x.npy"),
         "--train-labels", str(tmp_path / "y.npy"), "--epochs", "1",
         "--batch-size", "32", "--queries", "8", "--seed", "3",
         "--lr", str(lr), "--num-threads", "1", "--allocator", allocator,
         "--save", str(ckpt), "--quiet", "--progress=false"]
        + ["--%s=%s" % (k, v) for k, v in extra.items()],
        check=True)
    t = flops.Trainer(flops.load(model_path), lr=lr, allocator=allocator,
                      train_rows=96, **OPTS, **extra)
    for xb, yb, rows in flops.batches(x, y, 32, seed=3, epoch=1):
        t.step(xb, yb)
    ours = tmp_path / "ours.safetensors"
    t.save(ours)
    b = flops.Trainer(flops.load(model_path), lr=lr, allocator=allocator,
                      train_rows=96, **OPTS, **extra)
    meta = b.load(ckpt)
    assert meta["forward_train"] == t.pass_text
    assert int(meta["step"]) == t.steps == 3
    theirs = b.state_dict()
    mine = t.state_dict()
    assert list(theirs) == list(mine)
    for k in mine:
        assert np.array_equal(bits(mine[k]), bits(theirs[k])), k


def test_flops_train_reads_our_checkpoint(tmp_path, build_dir):
    tool = os.path.join(build_dir, "bin", "flops-train")
    if not os.path.exists(tool):
        pytest.skip("no flops-train in " + build_dir)
    model_path = tmp_path / "mlp16.mlir"
    model_path.write_text(MLP)
    x, y = blobs(64, seed=2)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    t = flops.Trainer(flops.load(model_path), **OPTS)
    t.step(x[:32], y[:32])
    ours = tmp_path / "ours.safetensors"
    t.save(ours)
    out = subprocess.run(
        [tool, str(model_path), "--train-npy", str(tmp_path / "x.npy"),
         "--train-labels", str(tmp_path / "y.npy"), "--test-npy",
         str(tmp_path / "x.npy"), "--test-labels", str(tmp_path / "y.npy"),
         "--epochs", "0", "--batch-size", "32", "--params", str(ours),
         "--num-threads", "1"], capture_output=True, text=True, check=True)
    want = t.evaluate(x, y)
    print(out.stderr)
    assert ("initial parameters: test loss %.4f" % want["loss"]) in out.stderr


def test_flops_train_resumes_our_fit(tmp_path, build_dir):
    """Epoch 1 in Python (fit), epoch 2 by flops-train --resume: the same
    final state as two epochs of flops-train."""
    tool = os.path.join(build_dir, "bin", "flops-train")
    if not os.path.exists(tool):
        pytest.skip("no flops-train in " + build_dir)
    model_path = tmp_path / "mlp16.mlir"
    model_path.write_text(MLP)
    x, y = blobs(96, seed=6)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    common = [tool, str(model_path), "--train-npy", str(tmp_path / "x.npy"),
              "--train-labels", str(tmp_path / "y.npy"), "--epochs", "2",
              "--batch-size", "32", "--seed", "3", "--num-threads", "1",
              "--quiet", "--progress=false"]
    whole = tmp_path / "whole.safetensors"
    subprocess.run(common + ["--save", str(whole)], check=True)
    t = flops.Trainer(flops.load(model_path), train_rows=96, **OPTS)
    t.fit(flops.batches(x, y, 32, seed=3, epoch=1), epochs=1)
    half = tmp_path / "half.safetensors"
    t.save(half)
    subprocess.run(common + ["--resume", str(half), "--save", str(half)],
                   check=True)
    a = flops.Trainer(flops.load(model_path), **OPTS)
    b = flops.Trainer(flops.load(model_path), **OPTS)
    assert a.load(whole)["step"] == b.load(half)["step"] == "6"
    for k, v in a.state_dict().items():
        assert np.array_equal(bits(v), bits(b.state_dict()[k])), k
