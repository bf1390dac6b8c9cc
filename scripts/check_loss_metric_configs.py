#!/usr/bin/env python3
"""Loads the models that tests/test_loss_metric_saving.cpp saved (with
KERAS_INTEROP_DIR=DIR) in real Keras 3 and compares their compile config
(losses and metrics, class by class and argument by argument) with the one
keras.cpp wrote beside them (lm_model_compile.json).

    KERAS_INTEROP_DIR=/tmp/lm build/tests/keras_tests -tc="loss/metric saving*"
    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/check_loss_metric_configs.py /tmp/lm
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-6
    if isinstance(a, dict) and isinstance(b, dict):
        ka = {k for k in a if k != "dtype"}
        kb = {k for k in b if k != "dtype"}
        return ka == kb and all(same(a[k], b[k]) for k in ka)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def normalized(metrics):
    """Keras's .h5 loader reports string metrics as objects: compare classes."""
    def one(m):
        if isinstance(m, str):
            obj = keras.metrics.get(m)
            return {"class_name": type(obj).__name__, "config": obj.get_config()}
        return {"class_name": m["class_name"], "config": m["config"]}
    return [[one(m) for m in row] for row in metrics]


def main(directory):
    with open(os.path.join(directory, "lm_model_compile.json")) as fh:
        want = json.load(fh)
    failures = 0
    for ext in (".keras", ".h5"):
        model = keras.saving.load_model(os.path.join(directory, "lm_model" + ext))
        got = json.loads(json.dumps(model.get_compile_config(), default=lambda o: np.asarray(o).tolist()))
        # Keras rebuilt the objects: their own get_config must give our arguments back.
        losses = [keras.losses.deserialize(x) for x in want["loss"]]
        for key in ("loss", "metrics"):
            ok = same(got[key], want[key])
            if key == "metrics" and not ok and ext == ".h5":
                ok = same(normalized(got[key]), normalized(want[key]))
            print(("ok  " if ok else "FAIL"), ext, key)
            if not ok:
                failures += 1
                print("  keras:  ", json.dumps(got[key]))
                print("  ours:   ", json.dumps(want[key]))
        for loss, w in zip(losses, want["loss"]):
            ok = same(loss.get_config(), w["config"])
            print(("ok  " if ok else "FAIL"), ext, "rebuilt", w["class_name"])
            failures += not ok
        x = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
        y = [np.eye(3, dtype="float32")[[0, 1, 2, 0]], np.random.default_rng(1).uniform(size=(4, 2)).astype("float32")]
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        print("    evaluate:", sorted(logs))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
