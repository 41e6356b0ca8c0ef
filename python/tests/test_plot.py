"""python -m flops plot."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")


def run(args, env_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = env_path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "flops"] + args,
                          capture_output=True, text=True, env=env)


def package_path():
    import flops
    return os.path.dirname(os.path.dirname(flops.__file__))


def test_plot_writes_png(tmp_path):
    m = tmp_path / "m.jsonl"
    with open(m, "w") as f:
        for e in range(1, 4):
            f.write(json.dumps({
                "epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.5 + e / 10,
                "test_loss": 1.1 / e, "test_accuracy": 0.45 + e / 10,
                "variance_proxy": 2.0 / e,
                "allocator_state": [0.1 * e, 8, 0, 0]}) + "\n")
    out = tmp_path / "curves.png"
    r = run(["plot", str(m), "-o", str(out)], package_path())
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_bad_file(tmp_path):
    m = tmp_path / "bad.jsonl"
    m.write_text('{"epoch": 1}\nnot json\n')
    r = run(["plot", str(m), "-o", str(tmp_path / "x.png")], package_path())
    assert r.returncode == 1
    assert "bad.jsonl:2: not a JSON object" in r.stderr
