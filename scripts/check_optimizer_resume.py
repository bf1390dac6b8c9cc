#!/usr/bin/env python3
"""Optimizer state across files, both ways, with real Keras 3 (jax backend).

    check_optimizer_resume.py write DIR   # Keras trains a tiny model per
        optimizer 3 steps, saves DIR/<name>.keras and .h5, and writes
        DIR/keras_next.json: the batch and the weights one more
        train_on_batch reaches in Keras.
    check_optimizer_resume.py check DIR   # reads DIR/ours.json (written by
        tests/test_optimizers_files.cpp: files saved by keras.cpp, a batch and
        the weights keras.cpp reaches after one more step from each file),
        loads each file in Keras, checks the optimizer's class and config,
        takes the step and compares the iteration count and the weights.
Prints one JSON object: {"cases": [{"file", "ok", "detail"}]}.
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

# Each optimizer with options that create extra state (EMA averages,
# accumulators) or change the step.
CASES = {
    "sgd": ("SGD", dict(momentum=0.9, use_ema=True, ema_overwrite_frequency=2)),
    "adam": ("Adam", dict(amsgrad=True, gradient_accumulation_steps=2)),
    "adamw": ("AdamW", dict(weight_decay=0.1)),
    "rmsprop": ("RMSprop", dict(momentum=0.5, centered=True, weight_decay=0.05)),
    "adagrad": ("Adagrad", dict(loss_scale_factor=8.0)),
    "adadelta": ("Adadelta", dict(use_ema=True, ema_momentum=0.5)),
    "adamax": ("Adamax", dict(gradient_accumulation_steps=2)),
    "nadam": ("Nadam", dict(use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3)),
    "lion": ("Lion", dict(weight_decay=0.1)),
    "ftrl": ("Ftrl", dict(gradient_accumulation_steps=2, l2_regularization_strength=0.01)),
    "adafactor": ("Adafactor", dict(use_ema=True)),
}


def flat(x):
    return [float(v) for v in np.asarray(x, dtype="float64").reshape(-1)]


def close(a, b, rtol=1e-5, atol=1e-6):
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + atol))


def write(d):
    r = np.random.default_rng(5)
    x = r.normal(size=(6, 3)).astype("float32")
    y = r.normal(size=(6, 2)).astype("float32")
    xb = r.normal(size=(2, 3)).astype("float32")
    yb = r.normal(size=(2, 2)).astype("float32")
    out = {"x": flat(xb), "y": flat(yb), "cases": {}}
    for name, (cls, args) in CASES.items():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")], name="tiny")
        # Not jitted: Keras 3.15's jitted jax step with gradient accumulation
        # fails ("Attempt to donate the same buffer twice").
        m.compile(getattr(keras.optimizers, cls)(learning_rate=0.05, **args), keras.losses.MeanSquaredError(),
                  jit_compile=False)
        m.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        formats = [".keras"] if cls == "Adafactor" else [".keras", ".h5"]
        for ext in formats:
            m.save(os.path.join(d, name + ext))
        m.train_on_batch(xb, yb)
        out["cases"][name] = {"class_name": cls, "formats": formats,
                              "iterations": int(keras.ops.convert_to_numpy(m.optimizer._iterations)),
                              "next": [flat(w) for w in m.get_weights()]}
    with open(os.path.join(d, "keras_next.json"), "w") as fh:
        json.dump(out, fh)


def h5_resume(m, path, detail):
    """Keras 3.15's legacy .h5 loader builds the optimizer on
    model._trainable_variables, empty for a Sequential, so it never restores
    the state, not even from its own files. Do what it means to: a fresh
    optimizer of the saved config built on the model's variables, then
    set_weights with the file's optimizer_weights in their order."""
    from keras.src.legacy.saving import legacy_h5_format
    import h5py

    o = type(m.optimizer).from_config(m.optimizer.get_config())
    m.compile(optimizer=o, loss=keras.losses.MeanSquaredError(), jit_compile=False)
    o.build(m.trainable_variables)
    with h5py.File(path, "r") as f:
        values = [np.asarray(v) for v in legacy_h5_format.load_optimizer_weights_from_hdf5_group(f)]
    if len(values) != len(o.variables):
        detail.append(f"{len(values)} optimizer weights in the file, Keras has {len(o.variables)}")
    o.set_weights(values)
    return o


def check(d):
    with open(os.path.join(d, "ours.json")) as fh:
        ours = json.load(fh)
    xb = np.asarray(ours["x"], "float32").reshape(2, 3)
    yb = np.asarray(ours["y"], "float32").reshape(2, 2)
    results = []
    for c in ours["cases"]:
        detail = []
        try:
            path = os.path.join(d, c["file"])
            m = keras.models.load_model(path)
            m.jit_compile = False
            o = m.optimizer
            if path.endswith(".h5"):
                o = h5_resume(m, path, detail)
            if type(o).__name__ != c["class_name"]:
                detail.append(f"class {type(o).__name__}")
            for k, v in c["config"].items():
                if k not in ("name", "learning_rate") and o.get_config().get(k) != v:
                    detail.append(f"config {k}: {o.get_config().get(k)} != {v}")
            m.train_on_batch(xb, yb)
            it = int(keras.ops.convert_to_numpy(o._iterations))
            if it != c["iterations"]:
                detail.append(f"iteration after the step {it} != {c['iterations']}")
            for i, (w, want) in enumerate(zip(m.get_weights(), c["next"])):
                if not close(flat(w), want):
                    detail.append(f"weight {i}: Keras {flat(w)} ours {want}")
        except Exception as e:  # noqa: BLE001 - reported to the test
            detail.append(f"{type(e).__name__}: {e}")
        results.append({"file": c["file"], "ok": not detail, "detail": "; ".join(detail)})
    print(json.dumps({"cases": results}))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
