#!/usr/bin/python3
"""Independent PyTorch reference fixtures for the Java CRATE runtime.

What it makes (everything under crate-runtime/src/test/resources/fixtures/):

  presets/generator-check.json      first 4 values of the counter-based generator for
                                    `cls_token` (tiny) and `input`, repr floats (round-trip exact)
  presets/<tiny|small|base|large>/  config.json, logits.npy (float32 [2,1000]), whitebox.json.
                                    Weights and inputs are NOT written: they come from the
                                    counter-based generator `gen_tensor` below, which the Java
                                    test re-implements bit-exactly.
  nonsquare/   checkpoint.pth.tar   authors' training layout (DataParallel `module.` keys,
                                    epoch, arch, best_acc1, SGD optimizer with momentum, scheduler)
  meanpool/    model.safetensors    F32, written by hand (no safetensors package needed)
  onehead/     weights.pt           bare state_dict; heads == 1 and dim_head == dim: no to_out
  modelkey/    checkpoint.pth       {'model': state_dict, 'epoch': 1}
               model-f16.safetensors / model-bf16.safetensors (F16 / BF16) with
               logits-f16.npy / logits-bf16.npy (float32 model on the rounded weights)
  each of the four cases above also has config.json, input.npy (float32 [3,C,H,W]),
  logits.npy (float32 [3,num_classes]) and whitebox.json.
  bad/evil.pth        pickle whose payload calls os.system('echo pwned') when unpickled
                      (never load it with torch.load / pickle!)
  bad/int-weights.pth the `onehead` state_dict with mlp_head.1.weight as int32

whitebox.json = {"layers": [{"layer", "coding_rate_mean", "coding_rate_std" (sample, n-1),
                 "sparsity_mean", "sparsity_std" (population)}, ...]} as defined in
/work/shared/crate-spec.md; the measurement maths is done in float64.

The model is a re-implementation of the authors' CRATE (Ma-Lab-Berkeley/CRATE, model/crate.py)
with the same module structure, so state_dict keys are exactly the spec's keys. einops is not
needed: the patch Rearrange is done with reshape/permute.

The script also self-checks: an independent float64 numpy forward pass (written from the spec)
must agree with the torch logits, the generator is checked against a scalar pure-Python version,
and every written file (except bad/evil.pth) is read back.

Deterministic. Rerun from the repository root with:

    /usr/bin/python3 crate-runtime/src/test/python/make_fixtures.py

(needs only torch and numpy; about two minutes on 2 CPU threads).
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import init

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.normpath(os.path.join(HERE, "..", "resources", "fixtures"))
LAMBD = 0.1
EPS_CODING = 0.01


# --------------------------------------------------------------------------------------------
# Model (authors' module structure; own code)
# --------------------------------------------------------------------------------------------

def as_pair(v):
    if isinstance(v, (list, tuple)):
        assert len(v) == 2
        return int(v[0]), int(v[1])
    return int(v), int(v)


class PatchRearrange(nn.Module):
    """'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' without einops."""

    def __init__(self, p1, p2):
        super().__init__()
        self.p1, self.p2 = p1, p2

    def forward(self, img):
        b, c, hh, ww = img.shape
        h, w = hh // self.p1, ww // self.p2
        x = img.reshape(b, c, h, self.p1, w, self.p2)
        x = x.permute(0, 2, 4, 3, 5, 1)  # b h w p1 p2 c
        return x.reshape(b, h * w, self.p1 * self.p2 * c)


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)  # eps 1e-5
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class FeedForward(nn.Module):
    """ISTA block: one proximal-gradient step against the dictionary `weight` [d, d]."""

    def __init__(self, dim, step_size=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim))
        with torch.no_grad():
            init.kaiming_uniform_(self.weight)
        self.step_size = step_size
        self.lambd = LAMBD

    def forward(self, x):
        x1 = F.linear(x, self.weight)                   # x D^T
        grad_1 = F.linear(x1, self.weight.t())          # x D^T D
        grad_2 = F.linear(x, self.weight.t())           # x D
        grad_update = self.step_size * (grad_2 - grad_1) - self.step_size * self.lambd
        return F.relu(x + grad_update)


class Attention(nn.Module):
    """MSSA: query = key = value = the one projection qkv (no bias)."""

    def __init__(self, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.qkv = nn.Linear(dim, inner, bias=False)
        project_out = not (heads == 1 and dim_head == dim)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(0.0)) if project_out \
            else nn.Identity()

    def forward(self, x):
        b, n, _ = x.shape
        w = self.qkv(x).reshape(b, n, self.heads, -1).permute(0, 2, 1, 3)  # b h n p
        dots = torch.matmul(w, w.transpose(-1, -2)) * self.scale
        attn = torch.softmax(dots, dim=-1)
        out = torch.matmul(attn, w)
        out = out.permute(0, 2, 1, 3).reshape(b, n, -1)
        return self.to_out(out)


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, ista):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.ModuleList([
                PreNorm(dim, Attention(dim, heads, dim_head)),
                PreNorm(dim, FeedForward(dim, step_size=ista)),
            ]) for _ in range(depth)
        ])

    def forward(self, x):
        for attn, ff in self.layers:
            x = ff(attn(x) + x)
        return x


class CRATE(nn.Module):
    def __init__(self, *, image_size, patch_size, num_classes, dim, depth, heads, dim_head,
                 pool="cls", channels=3, ista=0.1):
        super().__init__()
        ih, iw = as_pair(image_size)
        ph, pw = as_pair(patch_size)
        assert ih % ph == 0 and iw % pw == 0
        n = (ih // ph) * (iw // pw)
        patch_dim = channels * ph * pw
        assert pool in ("cls", "mean")
        self.to_patch_embedding = nn.Sequential(
            PatchRearrange(ph, pw),
            nn.LayerNorm(patch_dim),
            nn.Linear(patch_dim, dim),
            nn.LayerNorm(dim),
        )
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.transformer = Transformer(dim, depth, heads, dim_head, ista)
        self.pool = pool
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, img):
        x = self.to_patch_embedding(img)
        b, n, _ = x.shape
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        x = x + self.pos_embedding[:, :n + 1]
        x = self.transformer(x)
        x = x.mean(dim=1) if self.pool == "mean" else x[:, 0]
        return self.mlp_head(x)


def build(cfg):
    return CRATE(image_size=cfg["image_size"], patch_size=cfg["patch_size"],
                 num_classes=cfg["num_classes"], dim=cfg["dim"], depth=cfg["depth"],
                 heads=cfg["heads"], dim_head=cfg["dim_head"], pool=cfg["pool"],
                 channels=cfg["channels"], ista=cfg["ista"])


# --------------------------------------------------------------------------------------------
# Forward with white-box measurements
# --------------------------------------------------------------------------------------------

def run_with_whitebox(model, cfg, x):
    """Returns (logits float32 numpy, whitebox dict)."""
    heads, p = cfg["heads"], cfg["dim_head"]
    ws, zs = {}, {}
    hooks = []
    for i, (attn, ff) in enumerate(model.transformer.layers):
        hooks.append(attn.fn.qkv.register_forward_hook(
            lambda m, inp, out, i=i: ws.__setitem__(i, out.detach().clone())))
        hooks.append(ff.register_forward_hook(
            lambda m, inp, out, i=i: zs.__setitem__(i, out.detach().clone())))
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    layers = []
    for i in range(cfg["depth"]):
        w = ws[i].double().numpy()            # [B, T, K*p]
        z = zs[i].numpy()                     # [B, T, d] float32, actual model output
        B, T, _ = w.shape
        rates = []
        for b in range(B):
            r = 0.0
            for k in range(heads):
                xk = w[b, :, k * p:(k + 1) * p]
                xk = xk / np.linalg.norm(xk, axis=1, keepdims=True)
                m = np.eye(T) + (p / (T * EPS_CODING)) * (xk @ xk.T)
                sign, ld = np.linalg.slogdet(m)
                assert sign > 0
                r += 0.5 * ld
            rates.append(r)
        rates = np.array(rates, dtype=np.float64)
        sp = np.array([np.count_nonzero(z[b] == 0) / z[b].size for b in range(B)],
                      dtype=np.float64)
        layers.append({
            "layer": i,
            "coding_rate_mean": float(rates.mean()),
            "coding_rate_std": float(rates.std(ddof=1)) if B > 1 else 0.0,
            "sparsity_mean": float(sp.mean()),
            "sparsity_std": float(sp.std(ddof=0)),
        })
    return logits.numpy().astype(np.float32), {"layers": layers}


def numpy_reference_logits(sd, cfg, img):
    """Independent float64 forward written from the spec (row-vector convention)."""
    g = {k: v.double().numpy() for k, v in sd.items()}
    ph, pw = as_pair(cfg["patch_size"])
    B, C, H, W = img.shape
    K, p, d, eta = cfg["heads"], cfg["dim_head"], cfg["dim"], cfg["ista"]

    def ln(x, pre):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * g[pre + ".weight"] + g[pre + ".bias"]

    out = []
    for b in range(B):
        im = img[b].astype(np.float64)
        toks = []
        for gy in range(H // ph):
            for gx in range(W // pw):
                patch = im[:, gy * ph:(gy + 1) * ph, gx * pw:(gx + 1) * pw]  # C p1 p2
                toks.append(np.transpose(patch, (1, 2, 0)).reshape(-1))
        t = np.stack(toks)
        t = ln(t, "to_patch_embedding.1")
        t = t @ g["to_patch_embedding.2.weight"].T + g["to_patch_embedding.2.bias"]
        t = ln(t, "to_patch_embedding.3")
        z = np.concatenate([g["cls_token"][0], t]) + g["pos_embedding"][0]
        for i in range(cfg["depth"]):
            pre = "transformer.layers.%d." % i
            w = ln(z, pre + "0.norm") @ g[pre + "0.fn.qkv.weight"].T
            heads_out = []
            for k in range(K):
                wk = w[:, k * p:(k + 1) * p]
                s = wk @ wk.T / math.sqrt(p)
                s = np.exp(s - s.max(1, keepdims=True))
                s /= s.sum(1, keepdims=True)
                heads_out.append(s @ wk)
            o = np.concatenate(heads_out, 1)
            if pre + "0.fn.to_out.0.weight" in g:
                o = o @ g[pre + "0.fn.to_out.0.weight"].T + g[pre + "0.fn.to_out.0.bias"]
            zh = z + o
            y = ln(zh, pre + "1.norm")
            D = g[pre + "1.fn.weight"]
            M = np.eye(d) + eta * (D - D.T @ D)   # the spec's folded form
            z = np.maximum(y @ M - eta * LAMBD, 0.0)
        v = z.mean(0) if cfg["pool"] == "mean" else z[0]
        v = ln(v, "mlp_head.0")
        out.append(v @ g["mlp_head.1.weight"].T + g["mlp_head.1.bias"])
    return np.stack(out)


def check_against_numpy(name, sd, cfg, img, logits):
    ref = numpy_reference_logits(sd, cfg, img)
    err = np.abs(ref - logits.astype(np.float64)).max()
    scale = max(1.0, np.abs(ref).max())
    print("  [%s] torch vs float64 numpy: max |diff| = %.3g (max |logit| %.3g)"
          % (name, err, np.abs(ref).max()))
    assert err / scale < 1e-3, "torch and numpy reference disagree for " + name


# --------------------------------------------------------------------------------------------
# Counter-based generator (for the presets)
# --------------------------------------------------------------------------------------------

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def fnv1a64(key):
    h = 0xcbf29ce484222325
    for byte in key.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001b3) & M64
    return h


def gen_tensor(key, shape, scale, offset):
    """float32 tensor of `shape`: value_i = f32(scale)*(2*u_i - 1) + f32(offset) in float32,
    u_i = (splitmix64(seed + (i+1)*golden) >> 40) * 2^-24, seed = FNV-1a64(key)."""
    n = int(np.prod(shape, dtype=np.int64))
    seed = np.uint64(fnv1a64(key))
    i1 = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = seed + i1 * np.uint64(GOLDEN)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    v = np.float32(scale) * (np.float32(2) * u - np.float32(1)) + np.float32(offset)
    assert v.dtype == np.float32
    return v.reshape(shape)


def gen_scalar_reference(key, i, scale, offset):
    """Pure-Python scalar version of element i (used only to check gen_tensor)."""
    x = (fnv1a64(key) + (i + 1) * GOLDEN) & M64
    z = ((x ^ (x >> 30)) * MIX1) & M64
    z = ((z ^ (z >> 27)) * MIX2) & M64
    z = z ^ (z >> 31)
    u = np.float32(z >> 40) * np.float32(2.0 ** -24)
    return np.float32(np.float32(scale) * (np.float32(2) * u - np.float32(1))) + np.float32(offset)


LN_NAMES = ("to_patch_embedding.1", "to_patch_embedding.3", "mlp_head.0")


def scale_offset(key, shape):
    if key in ("cls_token", "pos_embedding"):
        return 1.0, 0.0
    if key == "input":
        return 2.0, 0.0
    is_ln = key.endswith("norm.weight") or key.endswith("norm.bias") or \
        any(key == n + ".weight" or key == n + ".bias" for n in LN_NAMES)
    if key.endswith(".weight"):
        if is_ln:
            return 0.2, 1.0
        assert len(shape) == 2, key
        return float(np.float32(1.0 / math.sqrt(shape[1]))), 0.0
    if key.endswith(".bias"):
        return 0.1, 0.0
    raise ValueError("no generator rule for " + key)


def gen_key(key, shape):
    s, o = scale_offset(key, shape)
    return gen_tensor(key, tuple(shape), s, o)


# --------------------------------------------------------------------------------------------
# File writers / readers
# --------------------------------------------------------------------------------------------

def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def save_npy(path, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    np.save(path, arr)


def tensor_bytes(t, dtype):
    t = t.detach().contiguous()
    if dtype == "F32":
        return t.float().numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.half().numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, sd, dtype):
    header, blobs, off = {}, [], 0
    for k, v in sd.items():
        b = tensor_bytes(v, dtype)
        header[k] = {"dtype": dtype, "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((-(8 + len(hb))) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    assert (8 + n) % 8 == 0
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for k, meta in header.items():
        if k == "__metadata__":
            continue
        b0, b1 = meta["data_offsets"]
        raw = data[base + b0: base + b1]
        if meta["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4").astype(np.float32)
        elif meta["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2").astype(np.float32)
        elif meta["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(meta["dtype"])
        out[k] = torch.from_numpy(a.reshape(meta["shape"]).copy())
    assert len(data) == base + max(m["data_offsets"][1] for k, m in header.items()
                                   if k != "__metadata__")
    return out


def sd_equal(a, b):
    assert list(a.keys()) == list(b.keys()) or set(a.keys()) == set(b.keys())
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k


# --------------------------------------------------------------------------------------------
# A. Presets
# --------------------------------------------------------------------------------------------

PRESETS = {
    "tiny": (384, 12, 6, 64),
    "small": (576, 12, 12, 48),
    "base": (768, 12, 12, 64),
    "large": (1024, 24, 16, 64),
}


def preset_config(dim, depth, heads, dim_head):
    return {"image_size": 224, "patch_size": 16, "num_classes": 1000, "dim": dim,
            "depth": depth, "heads": heads, "dim_head": dim_head, "pool": "cls",
            "channels": 3, "ista": 0.1, "lambd": LAMBD}


def make_presets(verify_numpy):
    pdir = os.path.join(FIX, "presets")
    os.makedirs(pdir, exist_ok=True)

    # generator self-check against the scalar version
    for key, shape in (("cls_token", (1, 1, 384)), ("input", (2, 3, 224, 224)),
                       ("transformer.layers.0.0.fn.qkv.weight", (384, 384)),
                       ("mlp_head.0.weight", (384,)), ("mlp_head.1.bias", (1000,))):
        s, o = scale_offset(key, shape)
        t = gen_tensor(key, shape, s, o).reshape(-1)
        for i in (0, 1, 2, 3, 17, t.size - 1):
            r = gen_scalar_reference(key, i, s, o)
            assert t[i].tobytes() == np.float32(r).tobytes(), (key, i, t[i], r)

    cls4 = [float(v) for v in gen_key("cls_token", (1, 1, 384)).reshape(-1)[:4]]
    inp4 = [float(v) for v in gen_key("input", (2, 3, 224, 224)).reshape(-1)[:4]]
    print("generator check: cls_token (tiny) first4 =", [repr(v) for v in cls4])
    print("generator check: input first4            =", [repr(v) for v in inp4])
    print("  seeds: FNV-1a64('cls_token') = 0x%016x, FNV-1a64('input') = 0x%016x"
          % (fnv1a64("cls_token"), fnv1a64("input")))
    write_json(os.path.join(pdir, "generator-check.json"),
               {"cls_token_first4": cls4, "input_first4": inp4})

    img = torch.from_numpy(gen_key("input", (2, 3, 224, 224)))
    for name, dims in PRESETS.items():
        cfg = preset_config(*dims)
        torch.manual_seed(0)
        model = build(cfg).eval()
        sd = {k: torch.from_numpy(gen_key(k, tuple(v.shape)))
              for k, v in model.state_dict().items()}
        model.load_state_dict(sd, strict=True)
        logits, wb = run_with_whitebox(model, cfg, img)
        nparams = sum(v.numel() for v in sd.values())
        print("preset %-5s params %.2f M  logits[0,:3] %s" % (name, nparams / 1e6, logits[0, :3]))
        if verify_numpy:
            check_against_numpy(name, sd, cfg, img.numpy(), logits)
        d = os.path.join(pdir, name)
        os.makedirs(d, exist_ok=True)
        write_json(os.path.join(d, "config.json"), cfg)
        save_npy(os.path.join(d, "logits.npy"), logits)
        write_json(os.path.join(d, "whitebox.json"), wb)
        del model, sd


# --------------------------------------------------------------------------------------------
# B. Small cases with real checkpoint files
# --------------------------------------------------------------------------------------------

def small_model(cfg, seed):
    torch.manual_seed(seed)
    model = build(cfg)
    with torch.no_grad():
        for k, v in model.named_parameters():
            if v.dim() == 1 and ("norm" in k or k.startswith("to_patch_embedding.1")
                                 or k.startswith("to_patch_embedding.3")
                                 or k.startswith("mlp_head.0")):
                v.add_(0.1 * torch.randn_like(v))  # LayerNorm weights/biases away from 1/0
    return model


def small_input(cfg, seed, batch=3):
    g = torch.Generator().manual_seed(seed)
    h, w = as_pair(cfg["image_size"])
    return torch.randn(batch, cfg["channels"], h, w, generator=g) * 1.5


def finish_case(name, model, cfg, img, verify_numpy):
    d = os.path.join(FIX, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    logits, wb = run_with_whitebox(model, cfg, img)
    if verify_numpy:
        check_against_numpy(name, model.state_dict(), cfg, img.numpy(), logits)
    write_json(os.path.join(d, "config.json"), cfg)
    save_npy(os.path.join(d, "input.npy"), img.numpy())
    save_npy(os.path.join(d, "logits.npy"), logits)
    write_json(os.path.join(d, "whitebox.json"), wb)
    print("case %-9s logits[0] %s" % (name, logits[0]))
    return d, logits


def cfg_of(image_size, patch_size, dim, depth, heads, dim_head, classes, pool, ista):
    return {"image_size": image_size, "patch_size": patch_size, "num_classes": classes,
            "dim": dim, "depth": depth, "heads": heads, "dim_head": dim_head, "pool": pool,
            "channels": 3, "ista": ista, "lambd": LAMBD}


def logits_of(cfg, sd, img):
    m = build(cfg).eval()
    m.load_state_dict(sd, strict=True)
    with torch.no_grad():
        return m(img).numpy().astype(np.float32)


def make_nonsquare(verify_numpy):
    cfg = cfg_of([32, 48], [8, 6], 48, 2, 3, 20, 7, "cls", 0.1)
    model = small_model(cfg, 101)
    # one training step so the optimizer holds momentum buffers (weights change accordingly)
    dp = nn.DataParallel(model)
    opt = torch.optim.SGD(dp.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    model.train()
    g = torch.Generator().manual_seed(102)
    xb = torch.randn(4, 3, 32, 48, generator=g)
    yb = torch.randint(0, 7, (4,), generator=g)
    opt.zero_grad()
    F.cross_entropy(dp(xb), yb).backward()
    opt.step()
    sched.step()
    img = small_input(cfg, 103)
    d, logits = finish_case("nonsquare", model, cfg, img, verify_numpy)
    ckpt = {"epoch": 3, "arch": "CRATE_nonsquare", "state_dict": dp.state_dict(),
            "best_acc1": torch.tensor(14.285714149475098), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict()}
    assert all(k.startswith("module.") for k in ckpt["state_dict"])
    assert len(ckpt["optimizer"]["state"]) > 0
    path = os.path.join(d, "checkpoint.pth.tar")
    torch.save(ckpt, path)
    back = torch.load(path)
    sd = {k[len("module."):]: v for k, v in back["state_dict"].items()}
    assert np.array_equal(logits_of(cfg, sd, img), logits)


def make_meanpool(verify_numpy):
    cfg = cfg_of(32, 8, 32, 3, 2, 16, 10, "mean", 0.25)
    model = small_model(cfg, 201)
    img = small_input(cfg, 203)
    d, logits = finish_case("meanpool", model, cfg, img, verify_numpy)
    path = os.path.join(d, "model.safetensors")
    write_safetensors(path, model.state_dict(), "F32")
    back = read_safetensors(path)
    sd_equal(model.state_dict(), back)
    assert np.array_equal(logits_of(cfg, back, img), logits)


def make_onehead(verify_numpy):
    cfg = cfg_of(16, 4, 24, 2, 1, 24, 5, "cls", 0.1)
    model = small_model(cfg, 301)
    assert not any("to_out" in k for k in model.state_dict())
    img = small_input(cfg, 303)
    d, logits = finish_case("onehead", model, cfg, img, verify_numpy)
    path = os.path.join(d, "weights.pt")
    torch.save(model.state_dict(), path)
    back = torch.load(path)
    sd_equal(model.state_dict(), back)
    assert np.array_equal(logits_of(cfg, back, img), logits)
    return model.state_dict()


def make_modelkey(verify_numpy):
    cfg = cfg_of(24, 8, 32, 2, 4, 8, 3, "cls", 0.05)
    model = small_model(cfg, 401)
    img = small_input(cfg, 403)
    d, logits = finish_case("modelkey", model, cfg, img, verify_numpy)
    sd = model.state_dict()
    path = os.path.join(d, "checkpoint.pth")
    torch.save({"model": sd, "epoch": 1}, path)
    back = torch.load(path)
    sd_equal(sd, back["model"])
    for tag, dtype, conv in (("f16", "F16", lambda t: t.half().float()),
                             ("bf16", "BF16", lambda t: t.bfloat16().float())):
        rounded = {k: conv(v) for k, v in sd.items()}
        st = os.path.join(d, "model-%s.safetensors" % tag)
        write_safetensors(st, sd, dtype)
        sd_equal(rounded, read_safetensors(st))
        lg = logits_of(cfg, rounded, img)
        save_npy(os.path.join(d, "logits-%s.npy" % tag), lg)
        print("  modelkey %-4s logits[0] %s (max |diff| vs f32 %.3g)"
              % (tag, lg[0], np.abs(lg - logits).max()))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def make_bad(onehead_sd):
    d = os.path.join(FIX, "bad")
    os.makedirs(d, exist_ok=True)
    torch.save({"state_dict": _Evil()}, os.path.join(d, "evil.pth"))  # never load back
    sd = dict(onehead_sd)
    w = sd["mlp_head.1.weight"]
    sd["mlp_head.1.weight"] = torch.round(w * 100).to(torch.int32)
    path = os.path.join(d, "int-weights.pth")
    torch.save(sd, path)
    back = torch.load(path)
    assert back["mlp_head.1.weight"].dtype == torch.int32
    assert tuple(back["mlp_head.1.weight"].shape) == tuple(w.shape)


# --------------------------------------------------------------------------------------------

def main():
    torch.set_num_threads(2)
    torch.set_grad_enabled(True)
    verify_numpy = "--no-verify" not in sys.argv
    os.makedirs(FIX, exist_ok=True)
    with torch.no_grad():
        make_presets(verify_numpy)
    make_nonsquare(verify_numpy)  # needs autograd for the one optimizer step
    with torch.no_grad():
        make_meanpool(verify_numpy)
        oh = make_onehead(verify_numpy)
        make_modelkey(verify_numpy)
        make_bad(oh)
    total = 0
    print("\nfiles written under", FIX)
    for root, _, files in sorted(os.walk(FIX)):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            total += os.path.getsize(p)
            print("  %8d  %s" % (os.path.getsize(p), os.path.relpath(p, FIX)))
    print("total %d bytes" % total)
    assert total < 4 * 1024 * 1024


if __name__ == "__main__":
    main()
