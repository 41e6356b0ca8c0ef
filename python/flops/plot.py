"""`python -m flops plot metrics.jsonl -o curves.png`: training curves from
a flops-train (or Trainer.fit) metrics file."""

import json


def read_records(path):
    records = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError("%s:%d: not a JSON object: %s" % (path, i, e))
    if not records:
        raise ValueError("%s: no metrics records" % path)
    for i, r in enumerate(records, 1):
        if not isinstance(r, dict) or "epoch" not in r:
            raise ValueError("%s: record %d has no 'epoch'" % (path, i))
    return records


def _series(records, key):
    xs, ys = [], []
    for r in records:
        v = r.get(key)
        if v is not None:
            xs.append(r["epoch"])
            ys.append(v)
    return xs, ys


def plot(paths, output, labels=None):
    """Loss and accuracy per epoch, and, where the records have it (the
    learned/Gaussian and Neyman allocators), the allocator's variance proxy
    and the Gaussian allocator's parameters over training. One curve per
    metrics file."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(labels[i] if labels else p, read_records(p))
            for i, p in enumerate(paths)]
    has_v = any(r.get("variance_proxy") is not None
                for _, rs in runs for r in rs)
    has_state = any(r.get("allocator_state") for _, rs in runs for r in rs)
    ncols = 2 + has_v + has_state
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 4))
    ax_v = axes[2] if has_v else None
    ax_s = axes[2 + has_v] if has_state else None
    for label, rs in runs:
        for key, style in (("train_loss", "-"), ("test_loss", "--")):
            xs, ys = _series(rs, key)
            if xs:
                axes[0].plot(xs, ys, style, marker="o",
                             label="%s %s" % (label, key.split("_")[0]))
        for key, style in (("train_accuracy", "-"), ("test_accuracy", "--")):
            xs, ys = _series(rs, key)
            if xs:
                axes[1].plot(xs, ys, style, marker="o",
                             label="%s %s" % (label, key.split("_")[0]))
        if ax_v is not None:
            xs, ys = _series(rs, "variance_proxy")
            if xs:
                ax_v.plot(xs, ys, marker="o", label=label)
        states = [(r["epoch"], r["allocator_state"]) for r in rs
                  if r.get("allocator_state")]
        if ax_s is not None and states:
            for k, pname in enumerate(("w", "c", "log s", "log h")):
                ax_s.plot([e for e, _ in states], [s[k] for _, s in states],
                          marker=".", label="%s %s" % (label, pname))
    axes[0].set_title("loss")
    axes[1].set_title("accuracy")
    if ax_v is not None:
        ax_v.set_title("allocator variance proxy (per step)")
    if ax_s is not None:
        ax_s.set_title("Gaussian allocator parameters")
    for ax in axes:
        ax.set_xlabel("epoch")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(output, dpi=100)
    plt.close(fig)
