"""Small image files in each format load_img reads, written by Pillow (an
independent encoder), with the pixels Pillow decodes from them, for
tests/test_image_utils.cpp.

  ~/.cache/keras.cpp/venv/bin/python scripts/make_image_fixtures.py
"""
import json
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "images")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(3)
    h, w = 5, 7
    rgb = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    rgba = np.concatenate([rgb, rng.randint(0, 256, size=(h, w, 1)).astype(np.uint8)], axis=2)
    gray = rng.randint(0, 256, size=(h, w)).astype(np.uint8)
    smooth = (np.add.outer(np.arange(16) * 9, np.arange(12) * 13) % 256).astype(np.uint8)
    smooth_rgb = np.stack([smooth, 255 - smooth, smooth // 2], axis=2)
    files = {
        "gray.png": Image.fromarray(gray, "L"),
        "rgb.png": Image.fromarray(rgb, "RGB"),
        "rgba.png": Image.fromarray(rgba, "RGBA"),
        "palette.png": Image.fromarray(rgb, "RGB").quantize(8),
        "gray16.png": Image.fromarray(gray.astype(np.uint16) * 257),
        "smooth.jpg": Image.fromarray(smooth_rgb, "RGB"),
        "gray.jpg": Image.fromarray(smooth, "L"),
        "palette.gif": Image.fromarray(rgb, "RGB").quantize(16),
        "rgb.bmp": Image.fromarray(rgb, "RGB"),
        "smooth.png": Image.fromarray(smooth_rgb, "RGB"),
    }
    expected = {}
    for name, img in files.items():
        path = os.path.join(OUT, name)
        kw = {"quality": 95} if name.endswith(".jpg") else {}
        img.save(path, **kw)
        back = Image.open(path)
        entry = {
            "rgb": np.asarray(back.convert("RGB")).tolist(),
            "gray": np.asarray(back.convert("L")).tolist() if back.mode != "I;16" else None,
        }
        if name == "rgba.png":
            entry["rgba"] = np.asarray(back.convert("RGBA")).tolist()
        expected[name] = entry
    # load_img's target_size: nearest (PIL picks floor((o + 0.5) * in / out)),
    # keep_aspect_ratio (centre crop), bilinear downscale (antialiased).
    src = Image.open(os.path.join(OUT, "smooth.png")).convert("RGB")
    expected["smooth.png"]["nearest_7x5"] = np.asarray(src.resize((5, 7), Image.NEAREST)).tolist()
    crop = (0, 2, 12, 14)  # width 12, height 16 -> 6x6 target: Keras's centred 12x12 box (left, upper, right, lower)
    expected["smooth.png"]["nearest_6x6_keep"] = np.asarray(src.resize((6, 6), Image.NEAREST, box=crop)).tolist()
    expected["smooth.png"]["bilinear_8x6"] = np.asarray(src.resize((6, 8), Image.BILINEAR)).tolist()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("wrote", sorted(files), "and expected.json to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
