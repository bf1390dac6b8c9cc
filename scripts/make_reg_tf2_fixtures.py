#!/usr/bin/env python3
"""tf.keras 2.15 model files with learning-rate schedules in their compile
config and regularizers and constraints on their layers, written by real
tf.keras into tests/fixtures/reg/ (tf2_<name>.h5, trained a few steps so the
files carry optimizer state, and tf2_<name>_io.h5 with x0 and tf.keras's
predictions y0).

    /tmp/tf2/bin/python scripts/make_reg_tf2_fixtures.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers, regularizers, constraints = keras.layers, keras.regularizers, keras.constraints
sch = keras.optimizers.schedules
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "reg")


def conv_model():
    m = keras.Sequential([
        keras.Input((5, 5, 2)),
        layers.Conv2D(3, 3, padding="same", activation="relu", kernel_regularizer=regularizers.L2(0.01),
                      bias_regularizer="l1", activity_regularizer=regularizers.L1(1e-3),
                      kernel_constraint=constraints.MaxNorm(2.0, axis=[0, 1, 2]), bias_constraint="non_neg"),
        layers.BatchNormalization(gamma_regularizer=regularizers.L1L2(0.01, 0.02),
                                  beta_constraint=constraints.UnitNorm(axis=0)),
        # (No DepthwiseConv2D: tf.keras 2 names its kernel "depthwise_kernel", which the
        # optimizer-slot reader does not match yet; the Keras 3 fixture has one.)
        layers.SeparableConv2D(3, 2, depthwise_regularizer=regularizers.L2(0.02),
                               pointwise_regularizer="l1", depthwise_constraint=constraints.NonNeg()),
        layers.Flatten(),
        layers.Dense(4, activation="tanh", kernel_regularizer=regularizers.OrthogonalRegularizer(0.1, "columns"),
                     kernel_constraint=constraints.MinMaxNorm(0.1, 0.9, rate=0.8, axis=0)),
        layers.Dense(3, activation="softmax", bias_regularizer=regularizers.L2(0.03)),
    ], name="tf2_conv")
    m.compile(keras.optimizers.Adam(sch.ExponentialDecay(0.01, 3, 0.7, staircase=True)),
              "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def dense_model():
    inp = keras.Input((4,))
    h = layers.Dense(6, activation="relu", kernel_regularizer="l2", kernel_constraint=constraints.UnitNorm(axis=0))(inp)
    h = layers.LayerNormalization(beta_regularizer=regularizers.L1(0.01), gamma_constraint=constraints.NonNeg())(h)
    out = layers.Dense(2, kernel_regularizer=regularizers.L1L2(l1=0.01))(h)
    m = keras.Model(inp, out, name="tf2_dense")
    m.compile(keras.optimizers.SGD(sch.CosineDecay(0.05, 10, alpha=0.1, warmup_target=0.1, warmup_steps=2),
                                   momentum=0.9), "mse")
    return m


def write_model(name, m, x, y, rng):
    m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for w in m.weights:
        if "moving_variance" in w.name:
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
    m.save(os.path.join(OUT, name + ".h5"))
    with h5py.File(os.path.join(OUT, name + "_io.h5"), "w") as f:
        f.create_dataset("x0", data=x)
        f.create_dataset("y0", data=np.asarray(m.predict(x, verbose=0), dtype="float32"))


def main():
    os.makedirs(OUT, exist_ok=True)
    tf.keras.utils.set_random_seed(4)
    rng = np.random.default_rng(11)
    xc = rng.uniform(-1, 1, (8, 5, 5, 2)).astype("float32")
    write_model("tf2_conv", conv_model(), xc, rng.integers(0, 3, (8,)), rng)
    xd = rng.uniform(-1, 1, (8, 4)).astype("float32")
    write_model("tf2_dense", dense_model(), xd, rng.uniform(-1, 1, (8, 2)).astype("float32"), rng)
    print("tf", tf.__version__, "wrote", sorted(f for f in os.listdir(OUT) if f.startswith("tf2_")))


if __name__ == "__main__":
    main()
