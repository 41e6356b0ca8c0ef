#!/usr/bin/python3
"""PyTorch eager reference of FLOPS' forward-only (likelihood-ratio) step.

The same arithmetic as @train_step of flops-forward-train (defaults:
antithetic pairs, cross-entropy, clean baseline, uniform allocation,
learnable per-unit sigma, Adam on the parameters and on log sigma; see
lib/Dialect/Flops/Transforms/ForwardTrain.cpp) for the 784-256-256-10 MLP of
examples/mlp.mlir, written the way one would in eager PyTorch (all N = B*q
rows at once, the noise drawn with torch.randn and kept, no autograd):

  1. clean forward of the B points -> per-point cross-entropy L_i, accuracy;
  2. expansion: every point repeated q times (uniform allocation), row
     weights w = 1/(B*q); noise eps_k (N x units_k) in antithetic pairs
     (row 2j+1 = -row 2j) for the three pre-activations;
  3. perturbed forward u_k + sigma_k * eps_k (sigma_k = exp(rho_k), per
     unit), per-row cross-entropy L_r, residual R = L_r - L_point(r),
     coeff = w * R;
  4. Delta_k = coeff * eps_k / sigma_k; weight estimate a_kᵀ Delta_k (a_k the
     layer input on the perturbed rows), bias estimate sum_r Delta_k,
     log-sigma estimate sum_r coeff_r (eps² - 1);
  5. global gradient norm; bias-corrected Adam on W, b and log sigma.

Like flops-forward-train's default point-prefix, the first layer (which
reads only the data) is computed once per point by the clean forward and
gathered to the rows, and its weight estimate sums Delta per point first
(x^T (sum over a point's rows of Delta)); --share-prefix 0 computes it on
all N rows instead (the plain per-row step).

Differences from the compiled step, by design of each side: FLOPS processes
the rows in q chunks of B rows and regenerates its counter-based (Philox)
noise wherever it is needed instead of storing it; PyTorch draws its own
noise once per step. The arithmetic per element is the same.

Times one step and one inference (forward on N rows) per repetition,
interleaved, after warm-up; prints JSON with medians (ms).

  /usr/bin/python3 benchmarks/train-step/torch_lr_step.py [--threads 1]
      [--batch 64] [--queries 8] [--reps 30] [--warmup 5] [--share-prefix 1]
      [--device cpu|cuda] [--hidden 256]
--device cuda runs the same step on the GPU (tensors, noise generator and
Adam state on the device; each timed call between torch.cuda.synchronize()
calls); --hidden sets both hidden widths (784-H-H-10; scripts/gpu-check.sh
uses 4096 for its large MLP).
"""

import argparse
import json
import math
import statistics
import time

import torch

SIZES = [784, 256, 256, 10]
DEV = torch.device("cpu")


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--queries", type=int, default=8)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--sigma", type=float, default=1e-3)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--hidden", type=int, default=256,
                   help="hidden widths of the 784-H-H-10 MLP")
    p.add_argument("--share-prefix", type=int, default=1, choices=(0, 1),
                   help="first layer once per point (1, as flops-forward-"
                        "train's point-prefix) or on every row (0)")
    p.add_argument("--check", type=int, default=0, metavar="K",
                   help="instead of timing: average the estimates of K steps "
                        "(no update) and print their cosine with autograd's "
                        "gradient of the clean loss")
    return p.parse_args()


class LRStep:
    def __init__(self, batch, queries, sigma, lr, gen, share_prefix=True):
        assert queries % 2 == 0, "antithetic pairs need an even q"
        self.B, self.q, self.N = batch, queries, batch * queries
        self.lr, self.b1, self.b2, self.eps = lr, 0.9, 0.999, 1e-8
        self.W, self.b, self.rho = [], [], []
        for fin, fout in zip(SIZES[:-1], SIZES[1:]):
            self.W.append((torch.randn(fin, fout, generator=gen) *
                           math.sqrt(2.0 / fin)).to(DEV))
            self.b.append(torch.zeros(fout, device=DEV))
            self.rho.append(torch.full((fout,), math.log(sigma), device=DEV))
        self.params = self.W + self.b + self.rho  # every trained tensor
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        # uniform allocation: point i gets q rows, consecutive (row map)
        self.row_map = torch.arange(batch, device=DEV).repeat_interleave(queries)
        self.weight = 1.0 / (batch * queries)  # per_point: 1 / (B * A_i)
        # the noise's generator lives where the noise is drawn
        self.gen = gen if DEV.type == "cpu" else torch.Generator(
            device=DEV).manual_seed(int(gen.initial_seed()))
        self.share_prefix = share_prefix

    def forward(self, x, keep=None):
        h = x
        for k in range(3):
            h = torch.addmm(self.b[k], h, self.W[k])
            if k == 0 and keep is not None:
                keep.append(h)
            if k < 2:
                h = torch.relu(h)
        return h

    @staticmethod
    def row_ce(logits, labels):
        lse = torch.logsumexp(logits, dim=1)
        picked = logits.gather(1, labels[:, None])[:, 0]
        return lse - picked, picked

    def antithetic_noise(self, units):
        half = torch.randn(self.N // 2, units, generator=self.gen, device=DEV)
        return torch.stack((half, -half), dim=1).reshape(self.N, units)

    @torch.no_grad()
    def step(self, x, labels, t, keep=None):
        # 1. clean forward of the B points
        first = []  # the first layer's pre-activation per point
        logits = self.forward(x, first)
        clean, picked = self.row_ce(logits, labels)
        clean_mean = clean.mean()
        accuracy = (picked >= logits.max(dim=1).values).float().mean()
        # 2. expansion to N rows
        yr = labels.index_select(0, self.row_map)
        # 3. perturbed forward, residuals
        eps, sig, inputs = [], [], []
        h = None if self.share_prefix else x.index_select(0, self.row_map)
        for k in range(3):
            inputs.append(h)
            if k == 0 and self.share_prefix:
                u = first[0].index_select(0, self.row_map)
            else:
                u = torch.addmm(self.b[k], h, self.W[k])
            e = self.antithetic_noise(u.shape[1])
            s = torch.exp(self.rho[k])
            u.addcmul_(e, s)  # u + sigma * eps
            eps.append(e)
            sig.append(s)
            h = torch.relu(u) if k < 2 else u
        row_loss, _ = self.row_ce(h, yr)
        coeff = (row_loss - clean.index_select(0, self.row_map)) * self.weight
        # 4. estimates
        gW, gb, grho = [], [], []
        for k in range(3):
            delta = eps[k] * coeff[:, None] / sig[k]
            if k == 0 and self.share_prefix:
                # sum over each point's rows, then the B points' inputs
                delta = torch.zeros(self.B, delta.shape[1],
                                    device=DEV).index_add_(
                    0, self.row_map, delta)
                gW.append(x.t() @ delta)
            else:
                gW.append(inputs[k].t() @ delta)
            gb.append(delta.sum(0))
            grho.append(coeff @ (eps[k] * eps[k] - 1.0))
        grads = gW + gb + grho
        if keep is not None:
            keep.append(grads)
            return None
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        # 5. Adam (bias-corrected), parameters and log sigma
        bc1 = 1.0 - self.b1 ** (t + 1)
        bc2 = 1.0 - self.b2 ** (t + 1)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.mul_(self.b1).add_(g, alpha=1.0 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1.0 - self.b2)
            den = (v / bc2).sqrt_().add_(self.eps)
            p.addcdiv_(m, den, value=-self.lr / bc1)
        return torch.stack((clean_mean, accuracy, row_loss.mean(), norm))


def summary(v, scale=1e3):
    return {"median": statistics.median(v) * scale, "min": min(v) * scale,
            "mean": statistics.fmean(v) * scale}


def check(step, x, labels, k):
    """Mean LR estimate over k draws vs the exact gradient (sigma is small,
    so the smoothed loss's gradient is the clean one's)."""
    params = [p.clone().requires_grad_() for p in step.W + step.b]
    h = x
    for j in range(3):
        h = torch.addmm(params[3 + j], h, params[j])
        if j < 2:
            h = torch.relu(h)
    torch.nn.functional.cross_entropy(h, labels).backward()
    acc = None
    for _ in range(k):
        kept = []
        step.step(x, labels, 0, keep=kept)
        g = kept[0][:6]
        acc = g if acc is None else [a + b for a, b in zip(acc, g)]
    names = ["W1", "W2", "W3", "b1", "b2", "b3"]
    out = {}
    for n, a, p in zip(names, acc, params):
        a = a / k
        cos = torch.nn.functional.cosine_similarity(a.flatten(), p.grad.flatten(), dim=0)
        out[n] = {"cosine": round(float(cos), 4),
                  "norm_ratio": round(float(a.norm() / p.grad.norm()), 4)}
    print(json.dumps({"check_draws": k, "estimate_vs_autograd": out}, indent=1))


def main():
    global DEV
    a = parse()
    DEV = torch.device(a.device)
    SIZES[1] = SIZES[2] = a.hidden
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    gen = torch.Generator().manual_seed(a.seed)
    step = LRStep(a.batch, a.queries, a.sigma, a.lr, gen, bool(a.share_prefix))
    x = torch.rand(a.batch, 784, generator=gen).to(DEV)
    labels = torch.randint(0, 10, (a.batch,), generator=gen).to(DEV)
    xi = torch.rand(step.N, 784, generator=gen).to(DEV)
    if a.check:
        check(step, x, labels, a.check)
        return

    t = 0
    first = None
    with torch.no_grad():
        for _ in range(max(a.warmup, 1)):
            met = step.step(x, labels, t)
            t += 1
            if first is None:
                first = met.tolist()
            step.forward(xi)
        ts, ti, ratio = [], [], []
        for i in range(a.reps):
            d = {}
            for k in range(2):
                train = (k == 0) == (i % 2 == 0)
                sync()
                t0 = time.perf_counter()
                if train:
                    met = step.step(x, labels, t)
                    t += 1
                else:
                    step.forward(xi)
                sync()
                d[train] = time.perf_counter() - t0
            ts.append(d[True])
            ti.append(d[False])
            ratio.append(d[True] / d[False])
    last = met.tolist()
    assert all(math.isfinite(v) for v in last), last
    print(json.dumps({
        "tool": "torch_lr_step.py", "torch": torch.__version__,
        "device": a.device if DEV.type == "cpu" else
        torch.cuda.get_device_name(DEV), "sizes": SIZES,
        "threads": torch.get_num_threads(), "batch": a.batch,
        "queries": a.queries, "rows": step.N, "reps": a.reps,
        "share_prefix": a.share_prefix,
        "warmup": a.warmup,
        "step_ms": summary(ts), "forward_ms": summary(ti),
        "ratio_step_over_forward": summary(ratio, 1.0),
        "clean_loss_first": first[0], "clean_loss_last": last[0],
        "grad_norm_first": first[3], "grad_norm_last": last[3],
    }, indent=1))


if __name__ == "__main__":
    main()
