#!/usr/bin/env python3
"""A tf.keras 2 (.h5) model with MultiHeadAttention, LeakyReLU (alpha) and
PReLU for tests/test_attention_models.cpp: tf.keras 2 keeps the value
tensor and use_causal_mask in the node's kwargs. Writes
tests/fixtures/attention/tf2_attention.h5 and tf2_attention_io.h5.

    /tmp/tf2/bin/python scripts/make_attention_tf2_goldens.py   # tf.keras 2.15
"""
import os

import h5py
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "attention")
rng = np.random.default_rng(11)
L = tf.keras.layers

q = tf.keras.Input((4, 6), name="q")
v = tf.keras.Input((5, 6), name="v")
y = L.MultiHeadAttention(2, 3, value_dim=4, name="mha")(q, v)
z = L.MultiHeadAttention(2, 2, name="self_mha")(q, q, use_causal_mask=True)
z = L.PReLU(shared_axes=[1], name="prelu")(L.LeakyReLU(alpha=0.2, name="leaky")(z))
model = tf.keras.Model([q, v], [y, z])
model.set_weights([rng.uniform(-0.8, 0.8, size=w.shape).astype("float32") for w in model.get_weights()])
xs = [rng.uniform(-1, 1, size=(3, 4, 6)).astype("float32"), rng.uniform(-1, 1, size=(3, 5, 6)).astype("float32")]
ys = model.predict(xs, verbose=0)
model.save(os.path.join(OUT, "tf2_attention.h5"))
with h5py.File(os.path.join(OUT, "tf2_attention_io.h5"), "w") as f:
    for i, x in enumerate(xs):
        f.create_dataset(f"x{i}", data=x)
    for i, t in enumerate(ys):
        f.create_dataset(f"y{i}", data=np.asarray(t, "float32"))
print("tf", tf.__version__, "wrote tf2_attention.h5")
