"""Compares keras.cpp's image_dataset_from_directory with Keras's on the same
folder: file order (file_paths), the training / validation split, labels
and decoded / resized images.

Writes Fashion-MNIST images (/usr/share/datasets/fashion-mnist) as PNG
files into class folders (with TensorFlow's PNG encoder), runs Keras's
image_dataset_from_directory and tests/tools/image_dataset_dump on it for
several option sets, and reports the decoding throughput of both.

  python scripts/compare_image_dataset.py --dump build/tests/image_dataset_dump [--small | --count 10000]

--small: 240 images in 3 classes plus an RGB class (nested folder, an
upper-case extension, JPEG files, ignored files); the ctest runs this.
Without shuffling, batches must match one by one; with shuffle + seed the
file_paths must match exactly and the (label, image) pairs as multisets
(Keras's in-dataset shuffle buffer draws from tf.data's random stream).
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf

CLASSES = ["t-shirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_folder(root, count, small):
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker) and open(marker).read() == f"{count} {small}":
        return
    shutil.rmtree(root, ignore_errors=True)
    src = "/usr/share/datasets/fashion-mnist"
    x = read_idx(os.path.join(src, "train-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(src, "train-labels-idx1-ubyte.gz"))
    classes = CLASSES[:3] if small else CLASSES
    keep = [i for i in range(len(y)) if y[i] < len(classes)][:count]
    for c in classes:
        os.makedirs(os.path.join(root, c), exist_ok=True)
    for n, i in enumerate(keep):
        png = tf.io.encode_png(x[i][:, :, None]).numpy()
        with open(os.path.join(root, classes[y[i]], f"img_{n:05d}.png"), "wb") as f:
            f.write(png)
    if small:
        rng = np.random.RandomState(0)
        os.makedirs(os.path.join(root, "colour", "nested"), exist_ok=True)
        os.makedirs(os.path.join(root, ".hidden"), exist_ok=True)
        for n in range(24):
            img = (x[n][:, :, None] * rng.uniform(0.3, 1.0, size=(1, 1, 3))).astype(np.uint8)
            sub = "nested" if n % 3 == 0 else ""
            ext = ".PNG" if n % 5 == 0 else ".png"
            with open(os.path.join(root, "colour", sub, f"c{n:02d}{ext}"), "wb") as f:
                f.write(tf.io.encode_png(img).numpy())
            if n < 6:
                with open(os.path.join(root, "colour", f"j{n:02d}.jpg"), "wb") as f:
                    f.write(tf.io.encode_jpeg(img, quality=90).numpy())
        open(os.path.join(root, "colour", "notes.txt"), "w").write("not an image")
        shutil.copy(os.path.join(root, "colour", "c01.png"), os.path.join(root, ".hidden", "x.png"))
    open(marker, "w").write(f"{count} {small}")


def keras_run(root, opts):
    o = dict(opts)
    size = o.pop("image_size")
    shuffle = o.pop("shuffle")
    kw = dict(image_size=size, shuffle=shuffle, batch_size=o.pop("batch_size", 32))
    kw.update(o)
    if "crop" in kw:
        kw["crop_to_aspect_ratio"] = kw.pop("crop")
    if "pad" in kw:
        kw["pad_to_aspect_ratio"] = kw.pop("pad")
    t0 = time.perf_counter()
    ds = tf.keras.utils.image_dataset_from_directory(root, **kw)
    images, labels = [], []
    for xb, yb in ds:
        images.append(xb.numpy())
        labels.append(yb.numpy())
    secs = time.perf_counter() - t0
    return ds.file_paths, ds.class_names, np.concatenate(images), np.concatenate(labels).astype(np.int32), secs


def ours_run(dump, root, opts, h, w, c, tmp):
    args = [dump, root, os.path.join(tmp, "out")]
    for k, v in opts.items():
        if k == "image_size":
            v = f"{v[0]}x{v[1]}"
        elif isinstance(v, bool):
            v = int(v)
        args.append(f"{k}={v}")
    t0 = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"image_dataset_dump failed: {out.stderr}")
    base = os.path.join(tmp, "out")
    paths = open(base + ".paths.txt").read().splitlines()
    classes = open(base + ".classes.txt").read().splitlines()
    labels = np.fromfile(base + ".labels.bin", dtype=np.int32)
    images = np.fromfile(base + ".images.bin", dtype=np.float32).reshape(-1, h, w, c)
    return paths, classes, images, labels, secs, out.stdout.strip()


def match_multiset(x1, y1, x2, y2, tol):
    """Pairs each of our images with one of Keras's (same label, within tol),
    both sorted by (label, mean pixel); returns the largest difference of
    the pairing, or inf when an image has no partner."""
    def order(x, y):
        return np.lexsort((x.reshape(len(x), -1).mean(1), y))
    o1, o2 = order(x1, y1), order(x2, y2)
    x1, y1, x2, y2 = x1[o1], y1[o1], x2[o2], y2[o2]
    used = np.zeros(len(x2), bool)
    worst = 0.0
    for i in range(len(x1)):
        best, best_j = np.inf, -1
        for j in range(max(0, i - 8), min(len(x2), i + 9)):
            if used[j] or y2[j] != y1[i]:
                continue
            d = float(np.max(np.abs(x1[i] - x2[j])))
            if d < best:
                best, best_j = d, j
            if d <= tol:
                break
        if best_j < 0:
            return np.inf
        used[best_j] = True
        worst = max(worst, best)
    return worst


def compare(name, ours, theirs, exact_order, tol):
    (p1, c1, x1, y1), (p2, c2, x2, y2) = ours, theirs
    problems = []
    if list(p1) != list(p2):
        problems.append(f"file_paths differ (first at {next(i for i, (a, b) in enumerate(zip(p1, p2)) if a != b) if len(p1) == len(p2) else 'length'})")
    if list(c1) != list(c2):
        problems.append(f"class_names differ: {c1} vs {c2}")
    if x1.shape != x2.shape:
        problems.append(f"image shapes differ: {x1.shape} vs {x2.shape}")
    else:
        if exact_order:
            if not np.array_equal(y1, y2):
                problems.append("labels differ")
            diff = float(np.max(np.abs(x1 - x2))) if x1.size else 0.0
        else:
            if not np.array_equal(np.sort(y1), np.sort(y2)):
                problems.append("label counts differ")
            diff = match_multiset(x1, y1, x2, y2, tol)
        if diff > tol:
            problems.append(f"images differ: max |diff| {diff:.4g} > {tol}")
    status = "OK  " if not problems else "FAIL"
    print(f"{status} {name}: {len(p1)} files, images {x1.shape}" + ("" if not problems else " -- " + "; ".join(problems)))
    return not problems


def cases(small):
    base = dict(image_size=(28, 28), color_mode="grayscale", shuffle=False, batch_size=32)
    out = [
        ("sorted, 28x28 grayscale (decoding only)", base, True, 0.0),
        ("sorted, 32x32 rgb bilinear (upscale)", dict(base, image_size=(32, 32), color_mode="rgb"), True, 1e-3),
        ("sorted, 20x24 grayscale bilinear (downscale)", dict(base, image_size=(20, 24)), True, 1e-3),
        ("sorted, 20x20 nearest", dict(base, image_size=(20, 20), interpolation="nearest"), True, 0.0),
        ("shuffled seed 1337, training 80%", dict(base, shuffle=True, seed=1337, validation_split=0.2, subset="training"), False, 0.0),
        ("shuffled seed 1337, validation 20%", dict(base, shuffle=True, seed=1337, validation_split=0.2, subset="validation"), False, 0.0),
        ("shuffled seed 7, 36x36 rgb", dict(base, shuffle=True, seed=7, image_size=(36, 36), color_mode="rgb"), False, 1e-3),
        ("sorted, crop_to_aspect_ratio 24x32", dict(base, image_size=(24, 32), crop=True), True, 1e-3),
    ]
    if hasattr(tf.keras.utils, "image_dataset_from_directory") and "pad_to_aspect_ratio" in \
            tf.keras.utils.image_dataset_from_directory.__code__.co_varnames:
        out.append(("sorted, pad_to_aspect_ratio 24x32", dict(base, image_size=(24, 32), pad=True), True, 1e-3))
    # color_mode "rgba" is left out: TensorFlow refuses 4 channels for JPEG
    # files (keras.cpp gives them an opaque alpha channel).
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "keras_cpp_image_ds"))
    a = ap.parse_args()
    count = 240 if a.small else a.count
    root = os.path.join(a.workdir, f"fashion_png_{count}")
    t0 = time.perf_counter()
    write_folder(root, count, a.small)
    print(f"folder {root} ready ({time.perf_counter() - t0:.1f} s)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, opts, exact, tol in cases(a.small):
            c = {"grayscale": 1, "rgb": 3, "rgba": 4}[opts["color_mode"]]
            h, w = opts["image_size"]
            p2, c2, x2, y2, ks = keras_run(root, opts)
            p1, c1, x1, y1, os_, msg = ours_run(a.dump, root, opts, h, w, c, tmp)
            ok &= compare(name, (p1, c1, x1, y1), (p2, c2, x2, y2), exact, tol)
        if not a.small:
            opts = cases(False)[0][1]
            ks = min(keras_run(root, opts)[4] for _ in range(2))
            runs = [ours_run(a.dump, root, opts, 28, 28, 1, tmp) for _ in range(2)]
            n = len(runs[0][0])
            print(f"throughput, {n} PNG files 28x28 grayscale, batch 32: keras.cpp {n / min(r[4] for r in runs):.0f} images/s "
                  f"(process wall time; its own count: {runs[-1][5]}), Keras (tf.keras {tf.keras.__version__ if hasattr(tf.keras, '__version__') else tf.__version__}, "
                  f"tf.data AUTOTUNE) {n / ks:.0f} images/s")
    print("all cases match" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
