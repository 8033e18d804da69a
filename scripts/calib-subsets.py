#!/usr/bin/env python3
"""Writes calibration subsets of an .npy calibration folder, to measure how much a pruned
model's quality depends on the draw of calibration data (deterministic strategies have no
seed to vary): subset k leaves out the k-th quarter of the samples (k = 1..QUARTERS).

    scripts/calib-subsets.py testdata/.../tinyclip-shapes/calib /tmp/calib-subsets [QUARTERS]

makes /tmp/calib-subsets/q1, q2, ... each holding every .npy tensor of the source with the
same rows left out; use one with `--calib DIR` (or CALIB=DIR for scripts/accuracy-sweep.sh).
"""
import glob
import os
import sys

import numpy as np


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    src, out = sys.argv[1], sys.argv[2]
    quarters = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    files = sorted(glob.glob(os.path.join(src, "*.npy")))
    if not files:
        print(f"{src}: no .npy tensors", file=sys.stderr)
        return 1
    n = np.load(files[0], mmap_mode="r").shape[0]
    for k in range(1, quarters + 1):
        lo, hi = (k - 1) * n // 4, k * n // 4
        keep = np.r_[0:lo, hi:n]
        d = os.path.join(out, f"q{k}")
        os.makedirs(d, exist_ok=True)
        for f in files:
            a = np.load(f)
            # a tensor whose rows are not samples (none in the bundled sets) is copied as is
            np.save(os.path.join(d, os.path.basename(f)), a[keep] if a.shape[0] == n else a)
        print(f"{d}: {len(keep)} of {n} samples (rows {lo}..{hi - 1} left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
