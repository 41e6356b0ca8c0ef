"""from_torch -> train -> load_into, fit over a DataLoader."""

import numpy as np
import pytest

import flops
from models import blobs

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_round_trip(tmp_path):
    torch.manual_seed(0)
    net = Net()
    model = flops.from_torch(net, torch.zeros(1, 16))
    assert set(model.torch_names) == {"fc1.weight", "fc1.bias", "fc2.weight",
                                      "fc2.bias"}
    t = flops.Trainer(model, batch_size=32, seed=0, num_threads=1, lr=1e-2)
    x, y = blobs(1024)
    # The import starts from the module's weights.
    with torch.no_grad():
        want = net(torch.from_numpy(x[:50])).numpy()
    np.testing.assert_allclose(t.forward(x[:50]), want, rtol=1e-4, atol=1e-5)
    for xb, yb, _ in flops.batches(x, y, 32, seed=0):
        t.step(xb, yb)
    t.load_into(net)
    with torch.no_grad():
        theirs = net(torch.from_numpy(x[:50])).numpy()
    ours = t.forward(x[:50])
    assert not np.allclose(theirs, want)  # training changed something
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


def test_fit_over_dataloader(tmp_path):
    torch.manual_seed(0)
    net = Net()
    model = flops.from_torch(net, torch.zeros(1, 16))
    x, y = blobs(1024, seed=3)
    xt, yt = blobs(256, seed=4)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x),
                                        torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True)
    t = flops.Trainer(model, batch_size=32, seed=0, num_threads=1, lr=1e-2)
    seen = []
    recs = t.fit(loader, epochs=3, eval=(xt, yt), callback=seen.append,
                 metrics=tmp_path / "m.jsonl")
    assert [r["epoch"] for r in recs] == [1, 2, 3] and seen == recs
    print([(r["train_loss"], r["test_accuracy"]) for r in recs])
    assert recs[-1]["test_accuracy"] > 0.9
    assert recs[-1]["train_loss"] < recs[0]["train_loss"]
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 3
    t.load_into(net)
    with torch.no_grad():
        acc = (net(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean()
    assert abs(acc - recs[-1]["test_accuracy"]) < 1e-6


def test_load_into_needs_from_torch():
    from models import MLP
    t = flops.Trainer(flops.Model.from_mlir(MLP), batch_size=8,
                      num_threads=1)
    with pytest.raises(ValueError, match="not made by flops.from_torch"):
        t.load_into(Net())


def test_onnx_file_and_safetensors(tmp_path):
    torch.manual_seed(1)
    net = Net().eval()
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, torch.zeros(1, 16), str(path),
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"},
                                    "output": {0: "batch"}},
                      opset_version=14)
    model = flops.load(path)
    t = flops.Trainer(model, batch_size=8, num_threads=1)
    x, _ = blobs(8)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(t.forward(x), want, rtol=1e-4, atol=1e-5)
    # Parameters from a safetensors file replace the model's.
    t.parameters()["fc2.bias"][:] = [5, 6, 7, 8]
    t.save(tmp_path / "w.safetensors")
    u = flops.Trainer(flops.load(path, weights=tmp_path / "w.safetensors"),
                      batch_size=8, num_threads=1)
    np.testing.assert_array_equal(u.parameters()["fc2.bias"], [5, 6, 7, 8])
    with pytest.raises(flops.FlopsError, match="bad.onnx"):
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"not a model")
        flops.load(bad)
