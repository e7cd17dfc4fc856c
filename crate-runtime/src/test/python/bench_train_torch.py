#!/usr/bin/python3
"""Peer for `bin/crate bench --train`: forward + backward + SGD step of the authors' CRATE in PyTorch (Debian's
python3-torch, CPU), random weights and inputs, images/s over a timed window after warm-up.

    /usr/bin/python3 crate-runtime/src/test/python/bench_train_torch.py --arch tiny --batch 32 --threads 2 --seconds 30
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import build  # noqa: E402

PRESETS = {"tiny": (384, 12, 6, 64), "small": (576, 12, 12, 48), "base": (768, 12, 12, 64)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="tiny", choices=PRESETS)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dim, depth, heads, dim_head = PRESETS[a.arch]
    model = build({"image_size": 224, "patch_size": 16, "num_classes": 1000, "dim": dim, "depth": depth,
                   "heads": heads, "dim_head": dim_head, "pool": "cls", "channels": 3, "ista": 0.1})
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    x = torch.randn(a.batch, 3, 224, 224)
    y = torch.randint(0, 1000, (a.batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    steps, start = 0, time.time()
    while time.time() - start < a.seconds:
        step()
        steps += 1
    elapsed = time.time() - start
    print("torch %s batch=%d threads=%d steps=%d images/s=%.2f ms/step=%.0f (BLAS: %s)" % (
        a.arch, a.batch, a.threads, steps, steps * a.batch / elapsed, 1000 * elapsed / steps,
        torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in torch.__config__.show()
        else "?"))


if __name__ == "__main__":
    main()
