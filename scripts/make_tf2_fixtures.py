#!/usr/bin/env python3
"""Builds tests/fixtures/keras/tf215_*.h5 with real tf.keras 2.15 (the
classic Keras 2 writer): `pip install tensorflow-cpu==2.15.1 h5py`.

Each model is compiled with a tf.keras 2.11+ optimizer ("Custom>Adam" in the
file, slots named "Adam/m/dense/kernel:0", interleaved per variable) and
trained two epochs; <name>_io.h5 holds the inputs x0, the predictions y0,
the labels and the weights w0, w1, ... one more epoch (batch 8, no
shuffling) reaches in tf.keras.

    /path/to/venv/bin/python scripts/make_tf2_fixtures.py
"""
import os

import h5py
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "keras")


def save(name, model, x, y):
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(os.path.join(OUT, name + ".h5"))
    with h5py.File(os.path.join(OUT, name + "_io.h5"), "w") as f:
        f["x0"] = x
        f["y0"] = model.predict(x, verbose=0)
        f["labels"] = y.astype("float32")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
        for i, w in enumerate(model.get_weights()):
            f[f"w{i}"] = w
    print(name, tf.__version__)


def main():
    tf.keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, 5)).astype("float32")
    y = np.arange(16) % 3
    # Two Dense layers whose kernels have the same shape (4, 4): a wrong slot
    # order would swap their moments silently.
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(4, activation="tanh"),
                                 tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(3, activation="softmax")], name="tf215_adam")
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    save("tf215_adam", model, x, y)


if __name__ == "__main__":
    main()
