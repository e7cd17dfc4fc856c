#!/usr/bin/python3
"""PyTorch references for the Java trainer: one optimiser step on the authors' model.

Writes crate-runtime/src/test/resources/fixtures/train/:
  config.json          a small CRATE (24x24 input, patch 8, dim 24, depth 2, 2 heads of 12, 5 classes)
  checkpoint.pth       its initial state_dict (bare), torch.save zip format
  images.npy           float32 [6, 3, 24, 24]
  labels-int64.npy     int64 [6];  labels-int32.npy: the same labels as int32
  sgd.pth              state_dict after F.cross_entropy(model(x), y).backward(); SGD(lr=0.1).step()
  adamw.pth            the same with AdamW(lr=0.001, weight_decay=0.05)
  sgd-momentum.pth     two steps of SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
  lion.pth             two steps of Lion(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1) (lion-pytorch's update)
  smoothing-sgd.pth    one SGD(lr=0.1) step on F.cross_entropy(..., label_smoothing=0.1)

Deterministic. Run from the repository root: /usr/bin/python3 crate-runtime/src/test/python/make_train_fixtures.py
"""
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import build, small_model, small_input  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "resources", "fixtures", "train"))
CFG = {"image_size": 24, "patch_size": 8, "num_classes": 5, "dim": 24, "depth": 2, "heads": 2,
       "dim_head": 12, "pool": "cls", "channels": 3, "ista": 0.1}


def lion_step(params, state, lr, beta1, beta2, wd):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            m = state.setdefault(p, torch.zeros_like(p))
            p.mul_(1 - lr * wd)
            update = (m * beta1 + p.grad * (1 - beta1)).sign_()
            p.add_(update, alpha=-lr)
            m.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def train(model, x, y, make_optimizer, steps, smoothing=0.0, lion=None):
    model = copy.deepcopy(model)
    opt = make_optimizer(model.parameters()) if make_optimizer else None
    state = {}
    for _ in range(steps):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=smoothing)
        loss.backward()
        if lion:
            lion_step(list(model.parameters()), state, **lion)
        else:
            opt.step()
    return model.state_dict()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    model = small_model(CFG, 2026)
    x = small_input(CFG, 99, batch=6)
    y = torch.tensor([0, 3, 1, 4, 2, 3], dtype=torch.int64)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CFG, f, indent=1)
    torch.save(model.state_dict(), os.path.join(OUT, "checkpoint.pth"))
    np.save(os.path.join(OUT, "images.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(OUT, "labels-int64.npy"), y.numpy().astype(np.int64))
    np.save(os.path.join(OUT, "labels-int32.npy"), y.numpy().astype(np.int32))
    cases = {
        "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), 1, 0.0, None),
        "adamw": (lambda p: torch.optim.AdamW(p, lr=0.001, weight_decay=0.05), 1, 0.0, None),
        "sgd-momentum": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
                         2, 0.0, None),
        "lion": (None, 2, 0.0, {"lr": 1e-3, "beta1": 0.9, "beta2": 0.99, "wd": 0.1}),
        "smoothing-sgd": (lambda p: torch.optim.SGD(p, lr=0.1), 1, 0.1, None),
    }
    for name, (make, steps, smoothing, lion) in cases.items():
        sd = train(model, x, y, make, steps, smoothing, lion)
        torch.save(sd, os.path.join(OUT, name + ".pth"))
        moved = max((sd[k] - model.state_dict()[k]).abs().max().item() for k in sd)
        print(name, "largest change", moved)


if __name__ == "__main__":
    main()
