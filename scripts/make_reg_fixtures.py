#!/usr/bin/env python3
"""Golden values and model files for learning-rate schedules, regularizers
and constraints, written by real Keras 3 into tests/fixtures/reg/:

  goldens.json   schedule values at several steps (non-default arguments),
                 regularizer penalties and constraint outputs on fixed
                 inputs, and a few SGD / Adam training steps of a small
                 regularized, constrained Dense model with a schedule (its
                 initial weights, data, per-epoch losses and final weights).
  k3_conv.keras / .h5, k3_dense.keras / .h5
                 models with regularizers and constraints on their layers,
                 compiled with a schedule (trained a few steps, so the files
                 carry optimizer state); <name>_io.h5 holds x0 and Keras's
                 predictions y0.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_reg_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import constraints, layers, optimizers, regularizers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "reg")
sch = optimizers.schedules

STEPS = [0, 1, 2, 3, 5, 6, 7, 11, 12, 13, 17, 20, 25, 40, 100]


def schedules():
    cases = [
        sch.ExponentialDecay(0.1, 7, 0.8),
        sch.ExponentialDecay(0.3, 5, 0.6, staircase=True, name="exp_stair"),
        sch.PiecewiseConstantDecay([5, 12], [0.1, 0.05, 0.01]),
        sch.PolynomialDecay(0.1, 10, end_learning_rate=0.002, power=2.0),
        sch.PolynomialDecay(0.1, 6, end_learning_rate=0.01, power=0.5, cycle=True),
        sch.InverseTimeDecay(0.2, 5, 0.7),
        sch.InverseTimeDecay(0.2, 4, 1.5, staircase=True),
        sch.CosineDecay(0.05, 20, alpha=0.1),
        sch.CosineDecay(0.01, 20, alpha=0.05, warmup_target=0.1, warmup_steps=5),
        sch.CosineDecayRestarts(0.1, 6, t_mul=2.0, m_mul=0.7, alpha=0.05),
        sch.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5, alpha=0.0),
    ]
    return [{"schedule": sch.serialize(s), "steps": STEPS, "values": [float(s(t)) for t in STEPS]} for s in cases]


def regularizer_cases(x):
    cases = [regularizers.L1(0.03), regularizers.L2(0.02), regularizers.L1L2(0.01, 0.02), regularizers.L1L2(l2=0.05),
             regularizers.OrthogonalRegularizer(0.05, "rows"), regularizers.OrthogonalRegularizer(0.2, "columns")]
    xt = keras.ops.convert_to_tensor(x)  # a tensor: Keras's NumPy path of normalize mishandles axis 0
    return [{"regularizer": regularizers.serialize(r), "value": float(r(xt))} for r in cases]


def constraint_cases(w, w4):
    cases = [(constraints.MaxNorm(1.0, axis=0), "w"), (constraints.MaxNorm(1.5, axis=[0, 1, 2]), "w4"),
             (constraints.MinMaxNorm(0.5, 1.0, rate=0.7, axis=0), "w"), (constraints.NonNeg(), "w"),
             (constraints.UnitNorm(axis=1), "w"), (constraints.UnitNorm(axis=[0, 1]), "w4")]
    inputs = {"w": w, "w4": w4}
    return [{"constraint": constraints.serialize(c), "input": name,
             "output": np.asarray(c(inputs[name])).ravel().tolist()} for c, name in cases]


def training_model():
    return keras.Sequential([
        keras.Input((3,)),
        layers.Dense(4, activation="tanh", kernel_regularizer=regularizers.L2(0.01),
                     bias_regularizer=regularizers.L1(0.005), activity_regularizer=regularizers.L2(0.001),
                     kernel_constraint=constraints.MaxNorm(0.9), bias_constraint=constraints.NonNeg()),
        layers.Dense(2, kernel_regularizer=regularizers.L1L2(0.001, 0.002),
                     kernel_constraint=constraints.UnitNorm(axis=0)),
    ])


def training(rng):
    x = rng.uniform(-1, 1, (8, 3)).astype("float32")
    y = rng.uniform(-1, 1, (8, 2)).astype("float32")
    init = training_model()
    weights = [rng.uniform(-0.8, 0.8, w.shape).astype("float32") for w in init.get_weights()]
    runs = []
    opts = {
        "sgd": lambda: optimizers.SGD(sch.ExponentialDecay(0.1, 2, 0.5), momentum=0.9),
        "adam": lambda: optimizers.Adam(sch.CosineDecay(0.01, 5, warmup_target=0.02, warmup_steps=2)),
    }
    for name, make in opts.items():
        m = training_model()
        m.set_weights(weights)
        m.compile(make(), "mse")
        first = float(m.evaluate(x, y, batch_size=8, verbose=0))
        h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        runs.append({"optimizer": keras.optimizers.serialize(m.optimizer), "evaluate_before": first,
                     "loss": [float(v) for v in h.history["loss"]],
                     "weights": [w.ravel().tolist() for w in m.get_weights()]})
    return {"x": x.ravel().tolist(), "y": y.ravel().tolist(), "weights": [w.ravel().tolist() for w in weights],
            "shapes": [list(w.shape) for w in weights], "runs": runs}


def conv_model():
    inp = keras.Input((6, 6, 2))
    h = layers.Conv2D(3, 3, padding="same", activation="relu", kernel_regularizer=regularizers.L2(0.01),
                      bias_regularizer=regularizers.L1(0.01), activity_regularizer=regularizers.L1(1e-4),
                      kernel_constraint=constraints.MaxNorm(2.0, axis=[0, 1, 2]),
                      bias_constraint=constraints.NonNeg())(inp)
    # No bias before BatchNormalization: its gradient is float32 noise, which Adam
    # turns into full-size steps that differ from run to run of any two programs.
    h = layers.DepthwiseConv2D(3, use_bias=False, depthwise_regularizer=regularizers.L1L2(0.001, 0.01),
                               depthwise_constraint=constraints.UnitNorm(axis=[0, 1]))(h)
    h = layers.BatchNormalization(gamma_regularizer=regularizers.L2(0.02), beta_regularizer="l1",
                                  gamma_constraint=constraints.NonNeg(),
                                  beta_constraint=constraints.MinMaxNorm(0.0, 0.5, rate=0.5))(h)
    h = layers.SeparableConv2D(4, 2, depthwise_regularizer=regularizers.L2(0.01),
                               pointwise_regularizer=regularizers.L1(0.001),
                               pointwise_constraint=constraints.MaxNorm(1.5, axis=[0, 1, 2]))(h)
    h = layers.Conv2DTranspose(2, 2, strides=2, kernel_regularizer="l2", bias_constraint=constraints.NonNeg())(h)
    h = layers.Flatten()(h)
    h = layers.Dense(5, kernel_regularizer=regularizers.OrthogonalRegularizer(0.05), activation="relu")(h)
    h = layers.LayerNormalization(gamma_regularizer=regularizers.L2(0.01), beta_constraint=constraints.MaxNorm(1.0))(h)
    out = layers.Dense(3, activation="softmax")(h)
    m = keras.Model(inp, out, name="k3_conv")
    m.compile(optimizers.Adam(sch.CosineDecayRestarts(0.01, 3, t_mul=2.0, m_mul=0.8, alpha=0.1)),
              "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def dense_model():
    m = keras.Sequential([
        keras.Input((5, 4)),
        layers.Conv1D(3, 2, kernel_regularizer=regularizers.L1(0.01), kernel_constraint=constraints.UnitNorm(axis=0),
                      activity_regularizer=regularizers.L2(0.001)),
        layers.Flatten(),
        layers.Dense(6, activation="relu", kernel_regularizer="l1l2", bias_regularizer=regularizers.L2(0.05),
                     kernel_constraint=constraints.MinMaxNorm(0.2, 1.2, rate=0.9, axis=0)),
        layers.Dense(2),
    ], name="k3_dense")
    m.compile(optimizers.SGD(sch.PiecewiseConstantDecay([2, 4], [0.05, 0.02, 0.01]), momentum=0.5), "mse")
    return m


def write_model(name, m, x, y_train, rng):
    m.fit(x, y_train, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for w in m.weights:  # non-trivial weights (BatchNormalization statistics included)
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
    m.save(os.path.join(OUT, name + ".keras"))
    m.save(os.path.join(OUT, name + ".h5"))
    with h5py.File(os.path.join(OUT, name + "_io.h5"), "w") as f:
        f.create_dataset("x0", data=x)
        f.create_dataset("y0", data=np.asarray(m.predict(x, verbose=0), dtype="float32"))


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (4, 3)).astype("float32")
    w = rng.uniform(-1, 1, (3, 4)).astype("float32")
    w4 = rng.uniform(-1, 1, (2, 2, 3, 2)).astype("float32")
    goldens = {
        "keras_version": keras.__version__,
        "schedules": schedules(),
        "regularizer_input": {"shape": list(x.shape), "values": x.ravel().tolist()},
        "regularizers": regularizer_cases(x),
        "constraint_inputs": {"w": {"shape": list(w.shape), "values": w.ravel().tolist()},
                              "w4": {"shape": list(w4.shape), "values": w4.ravel().tolist()}},
        "constraints": constraint_cases(w, w4),
        "training": training(rng),
    }
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(goldens, f, indent=1)

    xc = rng.uniform(-1, 1, (8, 6, 6, 2)).astype("float32")
    write_model("k3_conv", conv_model(), xc, rng.integers(0, 3, (8,)), rng)
    xd = rng.uniform(-1, 1, (8, 5, 4)).astype("float32")
    write_model("k3_dense", dense_model(), xd, rng.uniform(-1, 1, (8, 2)).astype("float32"), rng)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
