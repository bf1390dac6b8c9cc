#!/usr/bin/env python3
"""Loads models keras.cpp compiled and saved (tests/test_fitx_goldens.cpp) in
real Keras 3 with their compile config, and evaluates them: DIR/data.h5 holds
x, y, sample_weight and labels; DIR/weighted.keras is evaluated on (x, y,
sample_weight) and DIR/iou.keras on (x, labels). Writes each model's
get_compile_config() metric lists and evaluate() logs to DIR/<name>.json.

    KERAS_BACKEND=jax python scripts/check_compile_in_keras.py DIR
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402


def main(d):
    with h5py.File(os.path.join(d, "data.h5"), "r") as f:
        x, y, sw, labels = (f[k][()] for k in ("x", "y", "sample_weight", "labels"))
    for name, args in (("weighted", (x, y, sw)), ("iou", (x, labels, None))):
        model = keras.models.load_model(os.path.join(d, name + ".keras"))
        logs = model.evaluate(args[0], args[1], sample_weight=args[2], batch_size=32, verbose=0, return_dict=True)
        cc = model.get_compile_config()
        out = {"logs": {k: float(v) for k, v in logs.items()},
               "metrics": json.loads(json.dumps(cc["metrics"], default=str)),
               "weighted_metrics": json.loads(json.dumps(cc["weighted_metrics"], default=str))}
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump(out, f)
        print(name, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
