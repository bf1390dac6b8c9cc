#!/usr/bin/env python3
"""Loads the tf.keras 2 format file the preprocessing round-trip test wrote
(tests/test_preprocessing_random.cpp, with KERAS_INTEROP_DIR=DIR) in
tf.keras 2.15 and compares its predictions with keras.cpp's.

    KERAS_INTEROP_DIR=/tmp/prep build/tests/keras_tests -tc="preprocessing models saved here*"
    /tmp/tf2/bin/python scripts/check_preprocessing_in_tf2.py /tmp/prep
"""
import os
import sys

import h5py
import numpy as np
import tensorflow as tf


def main(directory):
    with h5py.File(os.path.join(directory, "prep_interop_io.h5")) as io:
        x, want = io["x0"][()], io["y0"][()]
    model = tf.keras.models.load_model(os.path.join(directory, "prep_interop_tf2.h5"))
    diff = float(np.abs(model.predict(x, verbose=0) - want).max())
    # tf.image's bicubic resize differs slightly from JAX's (the Keras 3 reference).
    ok = diff <= 1e-3
    print(("ok  " if ok else "FAIL") + f"  prep_interop_tf2.h5: max abs diff {diff:.2e}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
