"""Models, trainers and the compiled forward over the C++ driver.

Everything here calls the extension module ``flops._flops`` (nanobind over
include/flops/Driver/Trainer.h): nothing shells out to the tools.
"""

import json
import math
import os
import time
from collections import OrderedDict

import numpy as np

from . import _flops
from ._flops import FlopsError

# Options of the training step, named as flops-train's with underscores.
STEP_OPTIONS = (
    "entry", "estimator", "perturb", "queries", "batch_size", "antithetic",
    "loss", "baseline", "perturb_last", "sites", "sigma", "freeze_sigma", "point_prefix",
    "optimizer", "beta1", "beta2", "epsilon", "momentum", "clip_norm",
    "allocator", "budget", "min_queries", "weighting", "bernoulli_p",
    "bernoulli_p_late", "bernoulli_switch_step", "gaussian_lr",
    "neyman_kappa", "seed", "init", "train_rows")
COMPILE_OPTIONS = (
    "pipeline", "num_threads", "cpu_options", "opt_level", "cold_opt_level",
    "compile_threads", "cache_dir", "device", "cuda_options", "cuda_runtime")

_METRIC_NAMES = ("loss", "accuracy", "row_loss", "grad_norm",
                 "variance_proxy")


def _torch():
    try:
        import torch
        return torch
    except ImportError:
        return None


def _to_numpy(a):
    """A numpy view of `a` when it is a numpy array, a CPU torch tensor or
    anything with the buffer protocol / __array__ (no copy); else a copy."""
    if isinstance(a, np.ndarray):
        return a
    torch = _torch()
    if torch is not None and isinstance(a, torch.Tensor):
        a = a.detach()
        if a.device.type != "cpu":
            a = a.cpu()
        return a.numpy()
    return np.asarray(a)


def as_array(a, dtype, shape, what):
    """`a` as a C-contiguous array of `dtype` and `shape`: the same memory
    when it already is one (any shape with the same number of elements is
    reshaped as a view), one explicit copy otherwise."""
    arr = _to_numpy(a)
    want = np.dtype(dtype)
    if arr.dtype != want:
        if arr.dtype == np.uint8 and want.kind == "f":
            arr = arr.astype(want) / want.type(255)  # images as bytes
        else:
            arr = arr.astype(want)
    arr = np.ascontiguousarray(arr)
    shape = tuple(shape)
    if arr.shape != shape:
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(
                "%s: expected %s values of shape %s, got an array of shape %s"
                % (what, int(np.prod(shape, dtype=np.int64)), shape,
                   arr.shape))
        arr = arr.reshape(shape)
    return arr


class Model:
    """A model to train: an MLIR module with @forward (parameters marked
    flops.param) or an imported ONNX model, with optional parameter values.

    Use :func:`load`, :meth:`from_mlir`, :meth:`from_onnx` or
    :func:`flops.from_torch`."""

    def __init__(self, handle, torch_names=None):
        self._m = handle
        # flops.name -> (state_dict name, transposed), set by from_torch.
        self.torch_names = torch_names or {}

    @staticmethod
    def from_mlir(text, name="<string>"):
        return Model(_flops.Model.from_mlir(text, name))

    @staticmethod
    def from_onnx(data, name="<bytes>"):
        """`data`: a serialized ONNX ModelProto (bytes) or a path."""
        if isinstance(data, (str, os.PathLike)):
            return Model(_flops.Model.from_file(os.fspath(data)))
        return Model(_flops.Model.from_onnx(bytes(data), name))

    def load_weights(self, path):
        """Parameter values (safetensors by flops.name, e.g. a flops-train
        checkpoint or flops-import-onnx's weights) to start from."""
        self._m.load_weights(os.fspath(path))
        return self

    def weights(self):
        """The parameter values the model carries (copies), by name."""
        return self._m.weights()

    def set_weight(self, name, value):
        self._m.set_weight(name, np.ascontiguousarray(_to_numpy(value)))

    @property
    def name(self):
        return self._m.name

    def __str__(self):
        return str(self._m)

    def trainer(self, **options):
        return Trainer(self, **options)


def load(path, weights=None):
    """Loads a model from a `.mlir` or `.onnx` file, with optional
    safetensors parameters."""
    m = Model(_flops.Model.from_file(os.fspath(path)))
    if weights is not None:
        m.load_weights(weights)
    return m


def epoch_order(rows, batch_size, seed, epoch):
    """flops-train's shuffled row order of `epoch` (1-based, as in its
    metrics): the rows of its full batches, batch after batch."""
    return _flops.epoch_order(rows, batch_size, seed, epoch - 1)


def batches(x, y, batch_size, seed=0, epoch=1):
    """flops-train's batches of one epoch over arrays `x`, `y`: yields
    (x_batch, y_batch, row_ids). Passing these to :meth:`Trainer.step`
    reproduces flops-train's run on the same arrays."""
    order = epoch_order(len(x), batch_size, seed, epoch)
    for b in range(len(order) // batch_size):
        rows = order[b * batch_size:(b + 1) * batch_size]
        yield x[rows], y[rows], rows


class Trainer:
    """Forward-only training of a model: flops-forward-train + the CPU (or
    CUDA) pipeline, one compiled step per :meth:`step`.

    Options are flops-train's (docs/CLI.md) with underscores: the step's
    (queries, batch_size, allocator, budget, optimizer, sigma, ...), the
    compilation's (num_threads (default 1), pipeline, device, cache_dir
    (None disables the compile cache), ...), and lr (1e-3), lr_decay (0.8),
    lr_decay_every (1) for :meth:`fit`."""

    def __init__(self, model, lr=1e-3, lr_decay=0.8, lr_decay_every=1,
                 **options):
        if not isinstance(model, Model):
            model = load(model)
        unknown = [k for k in options
                   if k not in STEP_OPTIONS and k not in COMPILE_OPTIONS]
        if unknown:
            raise TypeError("unknown trainer option(s): " + ", ".join(unknown))
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError("lr must be a positive number, got %r" % (lr,))
        self.model = model
        self.lr = float(lr)
        self.lr_decay = float(lr_decay)
        self.lr_decay_every = int(lr_decay_every)
        self.options = dict(options)
        self._t = _flops.Trainer(model._m, self.options)
        self._input = self._t.input_spec
        self._label = self._t.label_spec
        self._specs = self._t.state_specs()
        self._forwards = {}
        self.epoch = 0
        self._epoch_batches = 0  # batches of the last epoch fit() finished

    # --- shapes ---------------------------------------------------------
    @property
    def batch_size(self):
        return self._t.batch_size

    @property
    def input_shape(self):
        return tuple(self._input["shape"])

    @property
    def num_classes(self):
        return self._t.num_classes

    @property
    def steps(self):
        """Steps taken (the step counter of the noise)."""
        return self._t.step_count

    @property
    def pass_text(self):
        """flops-forward-train with every option (checkpoint metadata)."""
        return self._t.pass_text

    @property
    def pipeline(self):
        return self._t.pipeline

    @property
    def compile_seconds(self):
        return self._t.compile_seconds

    def _inputs(self, x, y):
        spec = self._input
        # Fast path: already an array of the right kind (no conversion).
        if not (type(x) is np.ndarray and x.dtype == spec["dtype"] and
                x.shape == spec["shape"] and x.flags.c_contiguous):
            x = as_array(x, spec["dtype"], spec["shape"], "input")
        y = self._labels(y)
        return x, y

    def _labels(self, y):
        spec = self._label
        shape = tuple(spec["shape"])
        arr = _to_numpy(y)
        if len(shape) == 2 and arr.ndim == 1 and arr.dtype.kind in "iu":
            # mse with integer labels: one-hot, as flops-train does.
            if arr.size and (arr.min() < 0 or arr.max() >= shape[1]):
                raise ValueError("labels must be in 0..%d" % (shape[1] - 1))
            onehot = np.zeros(shape, dtype=spec["dtype"])
            onehot[np.arange(shape[0]), arr] = 1
            return onehot
        arr = as_array(arr, spec["dtype"], shape, "labels")
        if len(shape) == 1 and self.num_classes > 0 and arr.size:
            lo, hi = arr.min(), arr.max()
            if lo < 0 or hi >= self.num_classes:
                raise ValueError(
                    "labels: class %d is outside 0..%d (the model has %d "
                    "outputs)" % (lo if lo < 0 else hi, self.num_classes - 1,
                                  self.num_classes))
        return arr

    # --- training -------------------------------------------------------
    def step(self, x, y, lr=None, point_ids=None):
        """One training step on a batch of `batch_size` rows (numpy arrays,
        torch tensors; no copy when C-contiguous of the model's dtype).
        `point_ids` (the rows' indices in the training set) is needed by
        the Neyman allocator. Returns the step's metrics as a dict."""
        x, y = self._inputs(x, y)
        ids = None
        if point_ids is not None:
            ids = np.ascontiguousarray(_to_numpy(point_ids), dtype=np.int32)
        m = self._t.step(x, y, self.lr if lr is None else float(lr), ids)
        return dict(zip(_METRIC_NAMES, m))

    def evaluate(self, x, y):
        """Mean loss and accuracy on arrays `x`, `y` (any number of rows;
        flops-train's @eval_step batches, the last one padded)."""
        x = _to_numpy(x)
        y = _to_numpy(y)
        n = len(x)
        if n == 0:
            raise ValueError("evaluate: no rows")
        B = self.batch_size
        row_shape = self.input_shape[1:]
        loss = correct = 0.0
        for begin in range(0, n, B):
            xb, yb = x[begin:begin + B], y[begin:begin + B]
            valid = len(xb)
            if valid < B:
                xb = np.concatenate(
                    [as_array(xb, self._input["dtype"],
                              (valid,) + row_shape, "input"),
                     np.zeros((B - valid,) + row_shape,
                              dtype=self._input["dtype"])])
                yb = np.concatenate(
                    [_to_numpy(yb), np.zeros((B - valid,) + yb.shape[1:],
                                             dtype=_to_numpy(yb).dtype)])
            xb, yb = self._inputs(xb, yb)
            l, c = self._t.evaluate(xb, yb, valid)
            loss += l
            correct += c
        return {"loss": loss / n, "accuracy": correct / n}

    def forward(self, x):
        """@forward on the current parameters (compiled once per number of
        rows; the model's other outputs follow the first when it has
        several)."""
        x = _to_numpy(x)
        n = len(x)
        f = self._forwards.get(n)
        if f is None:
            copts = {k: v for k, v in self.options.items()
                     if k in COMPILE_OPTIONS}
            f = _flops.Forward(self.model._m,
                               self.options.get("entry", "forward"), n, copts)
            self._forwards[n] = f
        args, _ = f.signature()
        inputs = [s for s in args if s["role"] != "param"]
        if len(inputs) != 1:
            raise FlopsError("forward feeds one data input; @forward has %d"
                             % len(inputs))
        xin = as_array(x, inputs[0]["dtype"], inputs[0]["shape"], "input")
        outs = f.run(self.parameters(), [xin])
        return outs[0] if len(outs) == 1 else outs

    def fit(self, data, epochs=1, eval=None, callback=None, metrics=None,
            max_steps=None):
        """Trains for `epochs` passes over `data`: a PyTorch DataLoader, any
        re-iterable of (x, y) batches (x, y, point_ids triples for the
        Neyman allocator), or a callable returning one per epoch. Batches
        of another size than batch_size are skipped (flops-train uses full
        batches only). `eval`: (x, y) arrays or an iterable of batches,
        evaluated after each epoch. `callback(record)` gets each epoch's
        record (flops-train's metrics line); `metrics` appends them to a
        JSON-lines file. Returns the records."""
        records = []
        out = open(metrics, "a") if metrics else None
        try:
            for _ in range(epochs):
                self.epoch += 1
                lr = self.lr
                if self.lr_decay_every > 0:
                    lr *= self.lr_decay ** ((self.epoch - 1)
                                            // self.lr_decay_every)
                it = data() if callable(data) else data
                sums = np.zeros(5)
                n = skipped = 0
                have_v = False
                t0 = time.perf_counter()
                for batch in it:
                    x, y = batch[0], batch[1]
                    ids = batch[2] if len(batch) > 2 else None
                    if len(x) != self.batch_size:
                        skipped += 1
                        continue
                    m = self.step(x, y, lr=lr, point_ids=ids)
                    if not all(math.isfinite(m[k]) for k in
                               ("loss", "row_loss", "grad_norm")):
                        raise FlopsError(
                            "non-finite metrics at step %d (epoch %d): %r; "
                            "training stopped" % (self.steps - 1, self.epoch,
                                                  m))
                    vals = [m[k] for k in _METRIC_NAMES[:4]]
                    if "variance_proxy" in m:
                        vals.append(m["variance_proxy"])
                        have_v = True
                    else:
                        vals.append(0.0)
                    sums += vals
                    n += 1
                    if max_steps is not None and self.steps >= max_steps:
                        break
                seconds = time.perf_counter() - t0
                if n == 0:
                    raise ValueError(
                        "fit: no batch of %d rows in the data (%d skipped)"
                        % (self.batch_size, skipped))
                self._epoch_batches = n
                rec = OrderedDict(epoch=self.epoch, steps=self.steps, lr=lr)
                allocator = self.options.get("allocator", "uniform")
                if have_v and allocator in ("gaussian", "neyman"):
                    rec["variance_proxy"] = sums[4] / n
                rec["train_loss"] = sums[0] / n
                rec["train_accuracy"] = sums[1] / n
                rec["row_loss"] = sums[2] / n
                rec["grad_norm"] = sums[3] / n
                rec["test_loss"] = rec["test_accuracy"] = None
                te = 0.0
                if eval is not None:
                    t1 = time.perf_counter()
                    r = self._evaluate_any(eval)
                    te = time.perf_counter() - t1
                    rec["test_loss"] = r["loss"]
                    rec["test_accuracy"] = r["accuracy"]
                rec["seconds"] = seconds
                rec["rows_per_s"] = n * self.batch_size / seconds
                rec["eval_seconds"] = te
                if skipped:
                    rec["skipped_batches"] = skipped
                if allocator == "gaussian":
                    rec["allocator_state"] = [
                        float(v) for v in self.state_dict()[
                            "allocator.gaussian"][:4]] \
                        if "allocator.gaussian" in self.state_keys() else None
                records.append(rec)
                if out:
                    out.write(json.dumps(rec) + "\n")
                    out.flush()
                if callback is not None:
                    callback(rec)
                if max_steps is not None and self.steps >= max_steps:
                    break
        finally:
            if out:
                out.close()
        return records

    def _evaluate_any(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 2 and \
                not isinstance(data[0], (tuple, list)):
            return self.evaluate(data[0], data[1])
        loss = correct = 0.0
        n = 0
        for batch in data:
            r = self.evaluate(batch[0], batch[1])
            k = len(batch[0])
            loss += r["loss"] * k
            correct += r["accuracy"] * k
            n += k
        return {"loss": loss / n, "accuracy": correct / n}

    # --- state ----------------------------------------------------------
    def state_keys(self):
        """Checkpoint names of the training state: parameters by
        flops.name, then state.<role>.<name>, allocator.<name>."""
        return [s["key"] for s in self._specs]

    def parameters(self):
        """The parameters as numpy views of the driver's buffers (no copy;
        valid until the next step: steps alternate between two buffer
        sets). Writing to a view changes the parameter."""
        return OrderedDict(
            (s["key"], self._t.state_view(i))
            for i, s in enumerate(self._specs) if s["role"] == "param")

    def state_dict(self):
        """The whole training state (copies), by checkpoint name."""
        return OrderedDict((s["key"], np.array(self._t.state_view(i)))
                           for i, s in enumerate(self._specs))

    def load_state_dict(self, state, strict=True):
        """Copies `state` (name -> array) into the training state. strict:
        every state tensor must be there; else only the parameters are
        required (the others keep their values)."""
        arrays = {k: np.ascontiguousarray(_to_numpy(v))
                  for k, v in state.items()}
        self._t.load_state(arrays, strict)

    def save(self, path, **metadata):
        """Writes flops-train's checkpoint format (flops-train --params reads
        it; --resume too when the trainer was made with train_rows = the
        run's training rows: after fit(), the checkpoint says its last epoch
        is complete)."""
        meta = {"epoch": str(self.epoch), "batch": str(self._epoch_batches)}
        meta.update({k: str(v) for k, v in metadata.items()})
        self._t.save(os.fspath(path), meta)

    def load(self, path, strict=True):
        """Reads a checkpoint written by :meth:`save` or flops-train --save
        (the whole state; strict=False also takes a parameters-only file)
        and continues from its step. Returns its metadata."""
        meta = self._t.load(os.fspath(path), strict)
        if "step" in meta:
            self._t.step_count = int(meta["step"])
        if "epoch" in meta:
            self.epoch = int(meta["epoch"])
        return meta

    def load_into(self, module):
        """Copies the trained parameters into a PyTorch module (the one
        given to flops.from_torch)."""
        from .torch_bridge import load_into
        load_into(self, module)

    @property
    def last_input_address(self):
        """The data address of the input the last step passed to the
        compiled code (zero-copy check)."""
        return self._t.last_input_address
