"""Loading, stepping, evaluating, errors, zero-copy."""

import numpy as np
import pytest

import flops
from models import MLP, blobs

OPTS = dict(batch_size=32, queries=8, seed=1, num_threads=1)


@pytest.fixture(scope="module")
def model():
    return flops.Model.from_mlir(MLP, "mlp16.mlir")


def test_step_trains(model):
    t = flops.Trainer(model, lr=3e-3, **OPTS)
    assert t.batch_size == 32 and t.num_classes == 4
    x, y = blobs(2048, seed=0)
    xt, yt = blobs(512, seed=1)
    before = t.evaluate(xt, yt)
    for epoch in range(1, 4):
        for xb, yb, _ in flops.batches(x, y, 32, seed=1, epoch=epoch):
            m = t.step(xb, yb)
            assert set(m) >= {"loss", "accuracy", "row_loss", "grad_norm"}
            assert np.isfinite(m["loss"])
    after = t.evaluate(xt, yt)
    print("test loss %.4f -> %.4f, accuracy %.3f -> %.3f" % (
        before["loss"], after["loss"], before["accuracy"], after["accuracy"]))
    assert t.steps == 3 * (2048 // 32)
    assert after["loss"] < 0.5 * before["loss"]
    assert after["accuracy"] > 0.9


def test_forward_matches_numpy(model):
    t = flops.Trainer(model, **OPTS)
    p = t.parameters()
    x, _ = blobs(7)
    h = np.maximum(x @ p["fc1.weight"] + p["fc1.bias"], 0)
    want = h @ p["fc2.weight"] + p["fc2.bias"]
    got = t.forward(x)
    assert got.shape == (7, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_input_is_not_copied(model):
    t = flops.Trainer(model, **OPTS)
    x, y = blobs(32)
    assert x.flags.c_contiguous and x.dtype == np.float32
    t.step(x, y)
    # The descriptor the compiled step read points at the numpy buffer.
    assert t.last_input_address == x.ctypes.data
    # A torch tensor (DLPack / __array__) reaches it without a copy too.
    torch = pytest.importorskip("torch")
    xt = torch.from_numpy(x.copy())
    t.step(xt, y)
    assert t.last_input_address == xt.data_ptr()
    # float64 or a strided view: one explicit copy, the step still runs.
    x64 = x.astype(np.float64)
    t.step(x64, y)
    assert t.last_input_address != x64.ctypes.data
    wide = np.zeros((32, 32), np.float32)
    wide[:, ::2] = x
    t.step(wide[:, ::2], y)
    assert t.last_input_address != wide.ctypes.data


def test_parameter_views_alias_state(model):
    t = flops.Trainer(model, **OPTS)
    p = t.parameters()["fc2.bias"]
    v = t._t.state_view(t.state_keys().index("fc2.bias"))
    assert p.ctypes.data == v.ctypes.data
    p[:] = [1, 2, 3, 4]
    np.testing.assert_array_equal(t.state_dict()["fc2.bias"], [1, 2, 3, 4])
    # The forward reads the same buffer.
    t.parameters()["fc2.weight"][:] = 0
    out = t.forward(np.ones((3, 16), np.float32))
    np.testing.assert_array_equal(out, np.tile([1, 2, 3, 4], (3, 1)))


def test_bad_model_raises_with_diagnostic():
    bad = "func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x4xf32> {\n" \
          "  %y = arith.addf %x, %x : tensor<?x16xf32>\n" \
          "  return %y : tensor<?x4xf32>\n}\n"
    with pytest.raises(flops.FlopsError) as e:
        flops.Model.from_mlir(bad, "bad.mlir")
    msg = str(e.value)
    print(msg)
    assert "bad.mlir:3:10: error:" in msg


def test_no_forward_and_bad_options(model):
    with pytest.raises(flops.FlopsError, match="no function @main"):
        flops.Trainer(model, entry="main")
    with pytest.raises(flops.FlopsError, match="flops-forward-train failed"):
        flops.Trainer(model, optimizer="lbfgs", batch_size=8)
    with pytest.raises(TypeError, match="unknown trainer option"):
        flops.Trainer(model, quries=8)
    with pytest.raises(flops.FlopsError, match="cannot open"):
        flops.load("/nonexistent/model.mlir")


def test_bad_batches(model):
    t = flops.Trainer(model, **OPTS)
    x, y = blobs(32)
    with pytest.raises(ValueError, match="expected 512 values"):
        t.step(x[:16], y)
    bad = y.copy()
    bad[3] = 7
    with pytest.raises(ValueError, match="class 7 is outside 0..3"):
        t.step(x, bad)


def _cuda_driver_loads():
    import ctypes
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


def test_device_option_errors(model):
    with pytest.raises(flops.FlopsError,
                       match="device must be cpu or cuda, got 'tpu'"):
        flops.Trainer(model, device="tpu")
    if _cuda_driver_loads():
        pytest.skip("a CUDA driver is present; the no-GPU error is not "
                    "reachable here (scripts/gpu-check.sh covers the device)")
    # Without a GPU, device="cuda" is an error naming the missing driver,
    # raised before anything is compiled.
    with pytest.raises(flops.FlopsError, match="no CUDA driver"):
        flops.Trainer(model, device="cuda")
