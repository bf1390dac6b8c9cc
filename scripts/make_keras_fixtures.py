#!/usr/bin/env python3
"""Builds the Keras fixtures under tests/fixtures/keras/ with real Keras 3.

Each model is trained briefly (so the files carry optimizer state), saved
as .h5 (legacy HDF5) and .keras, and its reference inputs and outputs are
written to <name>_io.h5 (datasets x0, x1, ... and y0, y1, ...). A tf.keras
2.x-style file is written with h5py directly (fixed-length strings,
batch_input_shape, list-form inbound_nodes, "kernel:0" names, a split
layer_names attribute), since tf.keras 2 itself is not installable here;
its reference outputs come from the equivalent Keras 3 model.

    KERAS_BACKEND=jax .venv/bin/python scripts/make_keras_fixtures.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "keras")


def write_io(name, xs, ys):
    with h5py.File(os.path.join(OUT, name + "_io.h5"), "w") as f:
        for i, x in enumerate(xs):
            f.create_dataset(f"x{i}", data=np.asarray(x, dtype="float32"))
        for i, y in enumerate(ys):
            f.create_dataset(f"y{i}", data=np.asarray(y, dtype="float32"))


def save_all(name, model, xs):
    # .keras first: Keras's legacy .h5 writer pops "optimizer" from the
    # model's compile config, so a later .keras would lack it.
    model.save(os.path.join(OUT, name + ".keras"))
    model.save(os.path.join(OUT, name + ".h5"))
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    if not isinstance(ys, (list, tuple)):
        ys = [ys]
    write_io(name, xs, ys)
    print(f"{name}: {[y.shape for y in ys]}")


def mlp(rng):
    model = keras.Sequential(
        [
            keras.Input((8,), name="features"),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(12, activation="tanh", use_bias=False),
            layers.Activation("sigmoid"),
            layers.Dense(4, activation="softmax"),
        ],
        name="mlp",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 4, size=(32,))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    save_all("mlp", model, [x[:6]])
    model.save_weights(os.path.join(OUT, "mlp.weights.h5"))


def functional(rng):
    a = keras.Input((8,), name="image")
    b = keras.Input((4,), name="numbers")
    h = layers.Dense(6, activation="relu")(a)
    g = layers.Dense(6, activation="tanh")(b)
    add = layers.Add()([h, g])
    sub = layers.Subtract()([h, g])
    mul = layers.Multiply()([add, sub])
    avg = layers.Average()([h, g, mul])
    mx = layers.Maximum()([avg, h])
    mn = layers.Minimum()([mx, g])
    cat = layers.Concatenate()([mn, add])
    r = layers.Reshape((3, 4))(cat)
    f = layers.Flatten()(r)
    dot = layers.Dot(axes=1, normalize=True)([h, g])
    inner = keras.Sequential([keras.Input((12,)), layers.Dense(5, activation="relu"), layers.Dense(3)], name="inner")
    out1 = inner(f)
    out2 = layers.Dense(1, name="reg")(layers.Concatenate()([f, dot]))
    model = keras.Model([a, b], [out1, out2], name="two_heads")
    model.compile(optimizer="adam", loss=["mse", "mae"], metrics=[["mae"], []])
    xs = [rng.normal(size=(16, 8)).astype("float32"), rng.normal(size=(16, 4)).astype("float32")]
    model.fit(xs, [rng.normal(size=(16, 3)), rng.normal(size=(16, 1))], batch_size=8, epochs=1, verbose=0)
    save_all("functional", model, [x[:5] for x in xs])
    with open(os.path.join(OUT, "functional.json"), "w") as fj:
        json.dump(json.loads(model.to_json()), fj, indent=1)


def nested(rng):
    # A functional model inside a functional model, a shared layer, and a
    # Sequential inside both.
    ia = keras.Input((6,), name="inner_in")
    shared = layers.Dense(6, activation="relu", name="shared")
    ib = shared(shared(ia))
    block = keras.Model(ia, layers.Dense(5, name="block_out")(ib), name="block")
    x = keras.Input((6,), name="x")
    y = block(x)
    y = keras.Sequential([layers.Dense(4, activation="relu", name="s1"), layers.Dense(2, name="s2")], name="head")(y)
    model = keras.Model(x, y, name="outer")
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    data = rng.normal(size=(16, 6)).astype("float32")
    model.fit(data, rng.normal(size=(16, 2)), batch_size=8, epochs=1, verbose=0)
    save_all("nested", model, [data[:4]])


def cnn(rng):
    model = keras.Sequential(
        [
            keras.Input((8, 8, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(2),
            layers.Conv2D(3, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(3, activation="softmax"),
        ],
        name="cnn",
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 8, 8, 2)).astype("float32")
    model.fit(x, rng.integers(0, 3, size=(16,)), batch_size=8, epochs=1, verbose=0)
    save_all("cnn", model, [x[:3]])


def resume(rng):
    """Training that continues in C++: the state after 2 epochs, and the
    weights Keras reaches after a third (deterministic: no dropout, no
    shuffling)."""
    model = keras.Sequential(
        [keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")], name="resume")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.integers(0, 3, size=(32,))
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model.save(os.path.join(OUT, "resume.keras"))
    model.save(os.path.join(OUT, "resume.h5"))
    model.fit(x, y, batch_size=8, epochs=3, initial_epoch=2, shuffle=False, verbose=0)
    with h5py.File(os.path.join(OUT, "resume_io.h5"), "w") as f:
        f.create_dataset("x0", data=x)
        f.create_dataset("labels", data=y.astype("int64"))
        for i, w in enumerate(model.get_weights()):
            f.create_dataset(f"w{i}", data=w)
    print("resume: written")


def tf2_style(rng):
    """A tf.keras 2.x .h5 as TF 2.13 writes it, built with h5py."""
    inp = keras.Input((5,), name="input_1")
    d1 = layers.Dense(7, activation="relu", name="dense")(inp)
    d2 = layers.Dense(7, name="dense_1")(inp)
    out = layers.Dense(2, activation="softmax", name="dense_2")(layers.Add(name="add")([d1, d2]))
    model = keras.Model(inp, out)
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    zeros = {"class_name": "Zeros", "config": {}}

    def dense_cfg(name, units, act):
        return {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": act,
                "use_bias": True, "kernel_initializer": init, "bias_initializer": zeros, "kernel_regularizer": None,
                "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None}

    config = {"class_name": "Functional", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5], "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        {"class_name": "Dense", "config": dense_cfg("dense", 7, "relu"), "name": "dense",
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Dense", "config": dense_cfg("dense_1", 7, "linear"), "name": "dense_1",
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"}, "name": "add",
         "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]},
        {"class_name": "Dense", "config": dense_cfg("dense_2", 2, "softmax"), "name": "dense_2",
         "inbound_nodes": [[["add", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]},
        "keras_version": "2.13.1", "backend": "tensorflow"}
    training = {"loss": "categorical_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
        "name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]], "weighted_metrics": None,
        "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
            "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
            "amsgrad": False}}}
    path = os.path.join(OUT, "tf2_style.h5")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = np.bytes_("2.13.1")
        f.attrs["backend"] = np.bytes_("tensorflow")
        f.attrs["model_config"] = np.bytes_(json.dumps(config))
        f.attrs["training_config"] = np.bytes_(json.dumps(training))
        mw = f.create_group("model_weights")
        names = [b"input_1", b"dense", b"dense_1", b"add", b"dense_2"]
        # tf.keras splits attributes longer than 64512 bytes into name0, name1, ...
        mw.attrs["layer_names0"] = np.array(names[:2])
        mw.attrs["layer_names1"] = np.array(names[2:])
        mw.attrs["backend"] = np.bytes_("tensorflow")
        mw.attrs["keras_version"] = np.bytes_("2.13.1")
        for layer in model.layers:
            g = mw.create_group(layer.name)
            wnames = [f"{layer.name}/{w.name}:0".encode() for w in layer.weights]
            g.attrs["weight_names"] = np.array(wnames, dtype="S") if wnames else np.array([], dtype="float64")
            for n, w in zip(wnames, layer.get_weights()):
                g.create_dataset(n.decode(), data=w)
        # tf.keras 2 Adam: [iter, m of every variable, v of every variable].
        ow = f.create_group("optimizer_weights")
        tw = model.trainable_weights
        onames = ["Adam/iter:0"] + [f"Adam/{w.path}/{k}:0" for k in ("m", "v") for w in tw]
        ovalues = [np.int64(10)] + [np.full(w.shape, 0.01 * (i + 1), "float32") for i, w in enumerate(tw + tw)]
        ow.attrs["weight_names"] = np.array([n.encode() for n in onames], dtype="S")
        for n, v in zip(onames, ovalues):
            ow.create_dataset(n, data=v)
    x = rng.normal(size=(4, 5)).astype("float32")
    write_io("tf2_style", [x], [model.predict(x, verbose=0)])
    print("tf2_style: written with h5py")


def compiled_untrained(rng):
    # Compiled, never trained: Keras 3 stores only the optimizer's iteration
    # and learning rate (its slots are not built yet).
    model = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")],
                             name="compiled_untrained")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = rng.uniform(-1, 1, (6, 5)).astype("float32")
    save_all("compiled_untrained", model, [x])


MAKERS = (mlp, functional, nested, cnn, resume, tf2_style, compiled_untrained)


def main():
    """With names as arguments, only those fixtures are (re)written."""
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(1234)
    rng = np.random.default_rng(1234)
    for make in MAKERS:
        if len(sys.argv) == 1 or make.__name__ in sys.argv[1:]:
            make(rng)
    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"keras {keras.__version__}\nbackend {keras.backend.backend()}\nh5py {h5py.__version__}\n"
                f"numpy {np.__version__}\npython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
