"""compare.py GOT.npy EXPECTED.npy [rtol] [atol]: prints the largest
deviation and exits 1 unless |got - expected| <= atol + rtol |expected|."""
import sys

import numpy as np

got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
atol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
if got.shape != want.shape:
    print(f"shape {got.shape} != {want.shape}")
    sys.exit(1)
err = np.abs(got.astype(np.float64) - want)
ok = np.all(err <= atol + rtol * np.abs(want))
print(f"{'match' if ok else 'MISMATCH'}: max abs error {err.max():.3g}, "
      f"max rel error {(err / np.maximum(np.abs(want), 1e-30)).max():.3g} "
      f"(rtol {rtol}, atol {atol})")
sys.exit(0 if ok else 1)
