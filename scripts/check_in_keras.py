#!/usr/bin/env python3
"""Loads the files keras.cpp wrote (tests/test_saving_interop.cpp) in real
Keras 3 and compares: predictions (abs <= 1e-5) for every .h5 and .keras,
.weights.h5 loaded into the .keras model, and, where the reference has
labels, one more epoch (from the .keras file) of training in Keras against the weights keras.cpp
reached (abs <= 1e-5 + 1e-4 * |w|).

    KERAS_BACKEND=jax python scripts/check_in_keras.py DIR
"""
import glob
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

passed = failed = 0


# The custom layers of tests/custom_layers.hpp, as a Keras user writes them.
class ScaleShift(keras.layers.Layer):
    """Two outputs: x * w and x - w."""

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return [x * self.w, x - self.w]

    def compute_output_shape(self, input_shape):
        return [input_shape, input_shape]


class Residual(keras.layers.Layer):
    """x + outer(inner(x)), owning two Dense layers."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = keras.layers.Dense(units, activation="relu")
        self.outer = keras.layers.Dense(units)

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.outer.build(tuple(input_shape[:-1]) + (self.units,))

    def call(self, x):
        return x + self.outer(self.inner(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


CUSTOM_OBJECTS = {"ScaleShift": ScaleShift, "Residual": Residual}


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {what}")
    else:
        failed += 1
        print(f"  FAIL  {what} {detail}")


def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def compare_predictions(model, xs, ys, what):
    got = as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
    check(len(got) == len(ys), f"{what}: {len(ys)} outputs", f"got {len(got)}")
    for i, (g, y) in enumerate(zip(got, ys)):
        err = float(np.max(np.abs(np.asarray(g) - y))) if g.shape == y.shape else float("inf")
        check(err <= 1e-5, f"{what}: output {i} matches (max abs diff {err:.2e})", f"shapes {g.shape} vs {y.shape}")


def main(directory):
    ios = sorted(glob.glob(os.path.join(directory, "*_io.h5")))
    if not ios:
        print(f"check_in_keras: no *_io.h5 files in {directory}")
        return 1
    print(f"check_in_keras: keras {keras.__version__}, backend {keras.backend.backend()}")
    for io_path in ios:
        name = os.path.basename(io_path)[: -len("_io.h5")]
        with h5py.File(io_path, "r") as f:
            xs = [f[f"x{i}"][()] for i in range(len([k for k in f if k.startswith("x")]))]
            ys = [f[f"y{i}"][()] for i in range(len([k for k in f if k.startswith("y")]))]
            labels = f["labels"][()] if "labels" in f else None
            ws = [f[f"w{i}"][()] for i in range(len([k for k in f if k.startswith("w")]))]
        for ext in (".h5", ".keras"):
            path = os.path.join(directory, name + ext)
            if not os.path.exists(path):
                continue
            try:
                model = keras.saving.load_model(path, custom_objects=CUSTOM_OBJECTS)
            except Exception as e:  # report and go on with the other files
                check(False, f"{name}{ext}: loads", f"{type(e).__name__}: {e}")
                continue
            check(True, f"{name}{ext}: loads")
            compare_predictions(model, xs, ys, f"{name}{ext}")
            # Keras 3's legacy .h5 loader builds the optimizer for no
            # variables, so no .h5 model (Keras's own included) can continue
            # training there; the .keras file carries the same state.
            if labels is not None and ws and ext == ".keras":
                it = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
                model.fit(xs[0], labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
                got = model.get_weights()
                ok = len(got) == len(ws) and all(
                    g.shape == w.shape and np.all(np.abs(g - w) <= 1e-5 + 1e-4 * np.abs(w)) for g, w in zip(got, ws))
                worst = max(float(np.max(np.abs(g - w))) for g, w in zip(got, ws)) if ok or len(got) == len(ws) else -1
                check(ok, f"{name}{ext}: training continues from iteration {it} to keras.cpp's weights "
                          f"(max abs diff {worst:.2e})")
        wpath = os.path.join(directory, name + ".weights.h5")
        kpath = os.path.join(directory, name + ".keras")
        if os.path.exists(wpath) and os.path.exists(kpath):
            try:
                model = keras.saving.load_model(kpath, compile=False, custom_objects=CUSTOM_OBJECTS)
                for w in model.weights:
                    w.assign(np.zeros(w.shape, w.dtype))
                model.load_weights(wpath)
                compare_predictions(model, xs, ys, f"{name}.weights.h5")
            except Exception as e:
                check(False, f"{name}.weights.h5: loads", f"{type(e).__name__}: {e}")
    print(f"check_in_keras: {passed} checks ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
