"""The file order and splits Keras's image_dataset_from_directory and
text_dataset_from_directory make for a small folder tree, for
tests/test_image_dataset.cpp (tests/fixtures/images/dataset_order.json).

  /tmp/tf2/bin/python scripts/make_image_dataset_fixtures.py   (tf.keras 2.15: its dataset_utils.index_directory
  and get_training_or_validation_split are Keras 3's)
"""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf

TREE = [
    "dog/d1.png", "dog/D2.PNG", "dog/sub/d3.jpg", "dog/sub/deeper/d4.png", "dog/notes.txt",
    "cat/c1.png", "cat/c10.png", "cat/c2.png", "cat/c3.bmp", "cat/c4.gif", "cat/c5.jpeg",
    "bird/b1.png", "bird/b2.png", "bird/b3.png", "bird/b4.png", "bird/b5.png", "bird/b6.png",
    ".hidden/h1.png", "cat2/x1.png", "top.png",
]
TEXTS = ["pos/a.txt", "pos/b.txt", "pos/c.txt", "neg/a.txt", "neg/b.txt", "neg/sub/c.txt", "neg/d.md"]


def rel(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def main():
    png = tf.io.encode_png(np.zeros((2, 2, 1), np.uint8)).numpy()
    out = {"tree": TREE, "texts": TEXTS, "image_cases": [], "text_cases": []}
    with tempfile.TemporaryDirectory() as root:
        for f in TREE:
            os.makedirs(os.path.join(root, os.path.dirname(f)), exist_ok=True)
            open(os.path.join(root, f), "wb").write(png)
        cases = [
            dict(shuffle=False),
            dict(shuffle=True, seed=42),
            dict(shuffle=True, seed=1337, validation_split=0.25, subset="training"),
            dict(shuffle=True, seed=1337, validation_split=0.25, subset="validation"),
            dict(shuffle=False, class_names=["dog", "cat2", "cat", "bird"]),
            dict(shuffle=True, seed=3, labels=None),
        ]
        for c in cases:
            ds = tf.keras.utils.image_dataset_from_directory(root, image_size=(2, 2), **c)
            labels = None
            if not c.get("shuffle") and c.get("labels", "inferred") is not None:
                labels = np.concatenate([y.numpy() for _, y in ds]).tolist()
            out["image_cases"].append(dict(options=c, file_paths=rel(ds.file_paths, root),
                                           class_names=ds.class_names, labels=labels))
    with tempfile.TemporaryDirectory() as root:
        for i, f in enumerate(TEXTS):
            os.makedirs(os.path.join(root, os.path.dirname(f)), exist_ok=True)
            open(os.path.join(root, f), "w").write(f"text number {i} of {f}")
        for c in [dict(shuffle=False, max_length=9), dict(shuffle=True, seed=5, validation_split=0.4, subset="training")]:
            ds = tf.keras.utils.text_dataset_from_directory(root, batch_size=2, **c)
            texts, labels = [], []
            for x, y in ds:
                texts += [t.decode() for t in x.numpy()]
                labels += y.numpy().tolist()
            out["text_cases"].append(dict(options=c, class_names=ds.class_names, texts=texts, labels=labels))
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "images", "dataset_order.json")
    json.dump(out, open(path, "w"), indent=1)
    print("wrote", os.path.abspath(path))


if __name__ == "__main__":
    main()
