"""PyTorch modules in and out: export through ONNX in memory, import, map
the parameters back to the module's state_dict() names."""

import io

import numpy as np

from .core import Model, _to_numpy


def _export(module, example_input, opset):
    import torch
    buf = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(
                module, (example_input,), buf, input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=opset, do_constant_folding=False)
    finally:
        module.train(was_training)
    return buf.getvalue()


def from_torch(module, example_input, opset=14):
    """Imports a PyTorch module: exports it with torch.onnx (dynamic batch)
    into memory, imports the ONNX model and records, for each of our
    parameters, the state_dict() entry it came from (by name, else by
    value, possibly transposed). Raises ValueError when a parameter cannot
    be traced back to the module."""
    data = _export(module, example_input, opset)
    model = Model.from_onnx(data, name=type(module).__name__ + ".onnx")
    state = {k: v.detach().cpu().numpy()
             for k, v in module.state_dict().items()}
    mapping = {}
    for name, value in model.weights().items():
        if name in state and state[name].shape == value.shape:
            mapping[name] = (name, False)
            continue
        found = None
        for k, v in state.items():
            if v.dtype != value.dtype or v.size != value.size:
                continue
            if v.shape == value.shape and np.array_equal(v, value):
                found = (k, False)
                break
            if v.ndim == 2 and v.T.shape == value.shape and \
                    np.array_equal(v.T, value):
                found = (k, True)
                break
        if found is None:
            raise ValueError(
                "from_torch: parameter '%s' %s of the exported model matches "
                "no entry of the module's state_dict()" % (name, value.shape))
        mapping[name] = found
    model.torch_names = mapping
    return model


def load_into(trainer, module):
    """Copies the trainer's parameters into `module` (the one from_torch
    imported), in place."""
    import torch
    mapping = trainer.model.torch_names
    if not mapping:
        raise ValueError("load_into: the trainer's model was not made by "
                         "flops.from_torch (no state_dict names)")
    params = trainer.parameters()
    state = module.state_dict()
    with torch.no_grad():
        for ours, (theirs, transposed) in mapping.items():
            value = params[ours]
            if transposed:
                value = value.T
            dst = state[theirs]
            src = torch.from_numpy(np.ascontiguousarray(value)).to(dst.dtype)
            if tuple(src.shape) != tuple(dst.shape):
                raise ValueError("load_into: '%s' has shape %s, the module's "
                                 "'%s' %s" % (ours, tuple(src.shape), theirs,
                                              tuple(dst.shape)))
            dst.copy_(src)
