"""Checks what examples/callbacks_fashion_mnist leaves in its folder with
real Keras 3 and real TensorBoard:

    python scripts/check_callbacks_example.py DIR

- best.keras loads in Keras and its Fashion-MNIST test accuracy is printed
  ("keras best.keras test accuracy: X") for the caller to compare with the
  example's own line;
- TensorBoard's event reader finds epoch_loss / epoch_accuracy in
  DIR/logs/train and epoch_loss in DIR/logs/validation equal to the CSV
  log's loss, accuracy and val_loss columns, and a weight histogram per
  epoch. Exits non-zero on any difference.
"""
import csv
import gzip
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def scalars(logdir):
    acc = ea.EventAccumulator(logdir, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0})
    acc.Reload()
    out = {t: [e.value for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
    for t in acc.Tags()["tensors"]:  # Keras 3 writes scalars as tensors too
        out.setdefault(t, [float(np.asarray(e.tensor_proto.float_val or [0])[0]) for e in acc.Tensors(t)])
    return out, acc.Tags()["histograms"], acc


def main(folder):
    model = keras.saving.load_model(os.path.join(folder, "best.keras"))
    x = idx("t10k-images-idx3-ubyte.gz").astype("float32") / 255.0
    y = idx("t10k-labels-idx1-ubyte.gz")
    pred = model.predict(x, verbose=0, batch_size=1000)
    print(f"keras best.keras test accuracy: {np.mean(np.argmax(pred, 1) == y):.4f}")

    with open(os.path.join(folder, "training_log.csv")) as f:
        rows = list(csv.DictReader(f))
    train, hist_tags, acc = scalars(os.path.join(folder, "logs", "train"))
    val, _, _ = scalars(os.path.join(folder, "logs", "validation"))
    bad = 0
    for tag, source, column in (("epoch_loss", train, "loss"), ("epoch_accuracy", train, "accuracy"),
                                ("epoch_loss", val, "val_loss")):
        want = [float(r[column]) for r in rows]
        got = source.get(tag, [])
        ok = len(got) == len(want) and np.allclose(got, want, rtol=1e-6, atol=0)
        print(f"tensorboard {tag} vs csv {column}: {'same' if ok else 'DIFFERENT'} ({len(got)} epochs)")
        bad += not ok
    if not hist_tags or any(len(acc.Histograms(t)) != len(rows) for t in hist_tags):
        print(f"tensorboard histograms: expected one per epoch for every weight, tags {hist_tags}")
        bad += 1
    else:
        print(f"tensorboard histograms: {len(hist_tags)} weights x {len(rows)} epochs")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1])
