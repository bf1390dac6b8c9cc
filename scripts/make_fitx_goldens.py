#!/usr/bin/env python3
"""Golden values from real Keras 3 (jax backend) for the CTC loss, the IoU
metrics and weighted_metrics in compile.

Writes tests/fixtures/fitx/fitx_goldens.json:
  ctc:      inputs, Keras's per-sample keras.losses.ctc values, the reduced
            keras.losses.CTC value and jax.grad of the summed values by y_pred;
  iou:      for each metric case the class, its config, two update_state calls
            (y_true, y_pred, sample_weight), the result after them;
  weighted: the History of a fit with metrics and weighted_metrics, the
            initial weights, the data, and get_compile_config()'s metric lists.

    ~/.cache/keras.cpp/venv/bin/python scripts/make_fitx_goldens.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "fitx",
                   "fitx_goldens.json")
rng = np.random.default_rng(7)


def f32(x):
    return np.asarray(x, dtype="float32")


def flat(x):
    return [float(v) for v in np.asarray(x, dtype="float64").ravel()]


def ctc_cases():
    cases = []
    for b, t, k, n in [(2, 6, 4, 2), (3, 8, 5, 3), (2, 5, 3, 2)]:
        y_pred = f32(rng.normal(size=(b, t, k)))
        y_true = rng.integers(1, k, size=(b, n)).astype("int32")
        if n > 2:
            y_true[0, 1] = y_true[0, 0]  # a repeated label
        per = keras.losses.ctc(y_true, y_pred)
        reduced = keras.losses.CTC()(y_true, y_pred)
        grad = jax.grad(lambda p: keras.losses.ctc(y_true, p).sum())(y_pred)
        cases.append({"y_true": y_true.tolist(), "y_pred_shape": [b, t, k], "y_pred": flat(y_pred),
                      "per_sample": flat(per), "reduced": float(reduced), "grad": flat(grad)})
    return cases


def iou_cases():
    m = keras.metrics
    cases = []

    def add(metric, calls):
        for yt, yp, sw in calls:
            metric.update_state(np.asarray(yt), np.asarray(yp), None if sw is None else np.asarray(sw))
        cases.append({"class_name": type(metric).__name__, "config": metric.get_config(),
                      "calls": [{"y_true": np.asarray(yt).tolist(), "y_pred": np.asarray(yp).tolist(),
                                 "sample_weight": None if sw is None else np.asarray(sw).tolist()}
                                for yt, yp, sw in calls],
                      "result": float(metric.result())})

    add(m.MeanIoU(num_classes=3), [([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], None), ([2, 0], [2, 0], None)])
    add(m.MeanIoU(num_classes=3, dtype="float32"),
        [([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], [0.5, 1.0, 2.0, 0.25, 1.0])])
    add(m.MeanIoU(num_classes=3), [([0, 1, 2, 2], [0, 2, 2, 1], [1.7, 2.0, 3.0, 0.5])])  # int weights truncate
    add(m.IoU(num_classes=4, target_class_ids=[1, 3]),
        [([[0, 1], [3, 3]], [[1, 1], [3, 0]], None), ([1, 2, 3], [1, 2, 2], None)])
    add(m.IoU(num_classes=3, target_class_ids=[0, 2], ignore_class=1),
        [([0, 1, 2, 1, 0], [0, 0, 2, 2, 2], None)])
    add(m.IoU(num_classes=3, target_class_ids=[0, 1, 2], ignore_class=-1, sparse_y_pred=False),
        [([0, -1, 2], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]], None)])
    add(m.BinaryIoU(target_class_ids=[0, 1], threshold=0.3), [([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], None)])
    add(m.BinaryIoU(target_class_ids=[1], threshold=0.5, dtype="float32"),
        [([0, 1, 0, 1, 1], [0.6, 0.5, 0.4, 0.9, 0.1], [0.2, 0.3, 0.4, 0.1, 1.0])])
    yt = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
    yp = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
    add(m.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32"), [(yt, yp, [0.1, 0.2, 0.3, 0.4])])
    add(m.OneHotMeanIoU(num_classes=3), [(yt, yp, None)])
    return cases


def weighted_case():
    x = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
    y = (x.sum(1, keepdims=True) * 0.5 + 0.1).astype("float32")
    sw = f32([1, 2, 0.5, 1, 3, 1, 0, 2])
    inp = keras.Input((3,))
    out = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inp)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae", "mse"],
                  weighted_metrics=["mae"])
    h = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False, verbose=0)
    cc = model.get_compile_config()
    return {"x": flat(x), "y": flat(y), "sample_weight": flat(sw), "history": h.history,
            "metrics": cc["metrics"], "weighted_metrics": cc["weighted_metrics"]}


def main():
    out = {"ctc": ctc_cases(), "iou": iou_cases(), "weighted": weighted_case()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
