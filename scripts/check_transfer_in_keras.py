#!/usr/bin/env python3
"""Loads the transfer-learning models keras.cpp wrote (tests/test_transfer.cpp)
in real Keras 3: every DIR/*.keras and DIR/*.h5 next to DIR/io.h5 must load,
predict io.h5's y from its x (abs <= 1e-5), and keep the nested base model's
call with training=False (the inbound node's kwargs in the .keras config).
Prints one line per file and "OK" when all pass; exits 1 otherwise.

    KERAS_BACKEND=jax python scripts/check_transfer_in_keras.py DIR
"""
import glob
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402


def nested_training_flags(path):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    flags = []
    for layer in config["config"]["layers"]:
        if layer["class_name"] in ("Functional", "Sequential"):
            for node in layer.get("inbound_nodes", []):
                flags.append(node.get("kwargs", {}).get("training"))
    return flags


def main(d):
    with h5py.File(os.path.join(d, "io.h5"), "r") as f:
        x, y = f["x"][()], f["y"][()]
    ok = True
    files = sorted(glob.glob(os.path.join(d, "*.keras")) + glob.glob(os.path.join(d, "*.h5")))
    for path in files:
        if path.endswith("io.h5"):
            continue
        model = keras.models.load_model(path, compile=False)
        err = float(np.max(np.abs(model.predict(x, verbose=0) - y)))
        good = err <= 1e-5
        if path.endswith(".keras"):
            flags = nested_training_flags(path)
            good = good and flags == [False]
            print(os.path.basename(path), "max abs error", err, "nested training flags", flags)
        else:
            print(os.path.basename(path), "max abs error", err)
        ok = ok and good
    print("OK" if ok and files else "FAILED")
    return 0 if ok and files else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
