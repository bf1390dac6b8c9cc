#!/usr/bin/env python3
"""tf.keras 2.15 optimizer configs for Adadelta, Adamax, Nadam, Ftrl, Adafactor
and Lion (the classes tf.keras 2.15 has), as its .h5 training_config stores
them, and one trained tf.keras 2 model (tests/fixtures/optimizers/tf2_nadam.h5).

Writes tests/fixtures/optimizers/tf2_optimizer_configs.json:
{"<class>": {"optimizer_config": {...}, "weight_names": [...]}} from real
.h5 files (the optimizer_weights names, to show what state tf.keras keeps).

    /tmp/tf2/bin/python scripts/make_optimizer_tf2_fixtures.py
"""
import json
import os
import tempfile

import h5py
import numpy as np
import tensorflow as tf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optimizers")
O = tf.keras.optimizers
MAKERS = {
    "Adadelta": lambda: O.Adadelta(learning_rate=0.5, rho=0.9, epsilon=1e-6, use_ema=True, ema_momentum=0.95),
    "Adamax": lambda: O.Adamax(learning_rate=0.02, beta_1=0.8, beta_2=0.99, weight_decay=0.01),
    "Nadam": lambda: O.Nadam(learning_rate=0.03, beta_1=0.85, clipnorm=1.0),
    "Ftrl": lambda: O.Ftrl(learning_rate=0.04, learning_rate_power=-0.6, initial_accumulator_value=0.2,
                           l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                           l2_shrinkage_regularization_strength=0.03, beta=0.1),
    "Adafactor": lambda: O.Adafactor(learning_rate=0.05, beta_2_decay=-0.7, epsilon_1=1e-29, epsilon_2=2e-3,
                                     clip_threshold=0.9, relative_step=False),
    "Lion": lambda: O.Lion(learning_rate=0.006, beta_1=0.8, beta_2=0.95),
}


def main():
    out = {}
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    for cls, make in MAKERS.items():
        if not hasattr(O, cls):
            continue
        tf.keras.utils.set_random_seed(1)
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="dense")])
        m.compile(make(), "mse")
        m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
        path = os.path.join(HERE, "tf2_nadam.h5") if cls == "Nadam" else os.path.join(tempfile.mkdtemp(), "m.h5")
        m.save(path)
        with h5py.File(path, "r") as f:
            tc = json.loads(f.attrs["training_config"])
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in f["optimizer_weights"].attrs["weight_names"]] if "optimizer_weights" in f else []
        out[cls] = {"optimizer_config": tc["optimizer_config"], "weight_names": names}
        if cls == "Nadam":
            out[cls]["predictions"] = m.predict(x[:2], verbose=0).astype("float64").reshape(-1).tolist()
            out[cls]["x"] = x[:2].astype("float64").reshape(-1).tolist()
    with open(os.path.join(HERE, "tf2_optimizer_configs.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print("wrote", sorted(out))


if __name__ == "__main__":
    main()
