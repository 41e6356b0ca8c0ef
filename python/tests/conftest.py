"""The pytest suite of the Python package (scripts/test.sh runs it).

It imports `flops` from $FLOPS_PYTHONPATH, else from the build tree's
python_packages (the main CMake build makes it), else as installed. Tools
(flops-train) come from $FLOPS_BUILD_DIR/bin (default: <repo>/build).
"""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
BUILD = os.environ.get("FLOPS_BUILD_DIR", os.path.join(ROOT, "build"))
_path = os.environ.get("FLOPS_PYTHONPATH",
                       os.path.join(BUILD, "python_packages"))
if os.path.isdir(os.path.join(_path, "flops")):
    sys.path.insert(0, _path)


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Compile-cache entries of the tests stay out of the user's cache.
    monkeypatch.setenv("FLOPS_CACHE_DIR",
                       str(tmp_path_factory.getbasetemp() / "cache"))
