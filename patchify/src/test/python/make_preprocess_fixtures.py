"""Independent references for patchify's preprocessing, from torchvision 0.14 (Debian python3-torchvision).

Writes into ../resources/photos/:
  <name>.<ext>                the input photograph (from scikit-image's data, some re-encoded as JPEG)
  <name>.torchvision.png      Resize(256) + CenterCrop(224) on the PIL image, as models are trained: uint8 RGB
  <name>.tensor-samples.npy   float64 [1024, 4]: (channel, row, column, value) of Resize(256, antialias=True)
                              + CenterCrop(224) + Normalize(ImageNet) on the float tensor, at random positions

Run with Debian's interpreter: /usr/bin/python3 make_preprocess_fixtures.py
"""
import os

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

DATA = "/usr/lib/python3/dist-packages/skimage/data"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "photos")
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def inputs():
    """(name, file written, PIL image as decoded from that file)."""
    yield "chelsea", copy("chelsea.png", "chelsea.png")
    yield "rocket", copy("rocket.jpg", "rocket.jpg")
    yield "coffee", reencode("coffee.png", "coffee.jpg", "RGB")
    yield "camera", reencode("camera.png", "camera.jpg", "L")


def copy(source, target):
    path = os.path.join(OUT, target)
    with open(os.path.join(DATA, source), "rb") as f, open(path, "wb") as g:
        g.write(f.read())
    return path


def reencode(source, target, mode):
    path = os.path.join(OUT, target)
    Image.open(os.path.join(DATA, source)).convert(mode).save(path, quality=90)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261129)
    for name, path in inputs():
        image = Image.open(path).convert("RGB")
        pil = T.Compose([T.Resize(256), T.CenterCrop(224)])(image)
        pil.save(os.path.join(OUT, name + ".torchvision.png"))

        tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()
        tensor = F.resize(tensor, 256, interpolation=T.InterpolationMode.BILINEAR, antialias=True)
        tensor = F.center_crop(tensor, 224)
        tensor = F.normalize(tensor, MEAN, STD).numpy()
        c = rng.integers(0, 3, 1024)
        i = rng.integers(0, 224, 1024)
        j = rng.integers(0, 224, 1024)
        samples = np.stack([c, i, j, tensor[c, i, j].astype(np.float64)], axis=1)
        np.save(os.path.join(OUT, name + ".tensor-samples.npy"), samples)
        print(name, image.size, "->", pil.size)


if __name__ == "__main__":
    main()
