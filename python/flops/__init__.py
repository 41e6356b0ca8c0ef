"""FLOPS-MLIR: forward-only training of imported models from Python.

    import flops
    model = flops.load("examples/mlp.mlir")          # or .onnx, from_torch
    trainer = flops.Trainer(model, batch_size=64, queries=8, lr=1e-3)
    for x, y, rows in flops.batches(X, Y, trainer.batch_size, seed=0):
        metrics = trainer.step(x, y)
    trainer.evaluate(Xtest, Ytest); trainer.save("ckpt.safetensors")

A package over the C++ driver (the extension module flops._flops); see
docs/PYTHON.md.
"""

from ._flops import FlopsError
from .core import Model, Trainer, as_array, batches, epoch_order, load
from .torch_bridge import from_torch, load_into

__all__ = ["FlopsError", "Model", "Trainer", "as_array", "batches",
           "epoch_order", "from_torch", "load", "load_into"]
