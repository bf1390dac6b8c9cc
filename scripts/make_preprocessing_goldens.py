"""Golden values for the preprocessing layers (tests/test_preprocessing*.cpp).

Run with Keras 3 (JAX backend):
    ~/.cache/keras.cpp/venv/bin/python scripts/make_preprocessing_goldens.py
and once more with tf.keras 2.15 for Hashing (Keras 3's Hashing needs
TensorFlow, which that venv lacks) and the tf.keras 2 files:
    /tmp/tf2/bin/python scripts/make_preprocessing_goldens.py --tf2
Writes tests/fixtures/preprocessing/goldens.json (Keras 3), hashing.json and
models written by each Keras (.keras / .h5) with their inputs and outputs.
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "preprocessing")
TF2 = "--tf2" in sys.argv
if not TF2:
    os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402

if TF2:
    import tensorflow as tf  # noqa: E402
    keras = tf.keras
else:
    import keras  # noqa: E402
L = keras.layers


def arr(x):
    x = np.asarray(x)
    # 8 significant digits: float32 values, small files.
    return {"shape": list(x.shape), "data": [float("%.8g" % v) for v in x.astype("float64").ravel()]}


def image(n, h, w, c, seed=0):
    return np.random.RandomState(seed).uniform(0, 255, size=(n, h, w, c)).astype("float32")


def adapt_discretization(layer, batches):
    layer.reset_state()
    for b in batches:
        layer.update_state(b)
    layer.finalize_state()
    return [float(b) for b in layer.bin_boundaries]


def main_keras3():
    g = {}
    x = image(2, 5, 6, 2)
    g["image"] = arr(x)
    g["rescaling"] = arr(L.Rescaling(1 / 127.5, -1.0)(x))
    d = np.random.RandomState(1).normal(3.0, 2.0, size=(40, 3)).astype("float32")
    g["norm_data"] = arr(d)
    n = L.Normalization()
    n.adapt(d)
    g["norm_mean"] = arr(np.asarray(n.mean).ravel())
    g["norm_var"] = arr(np.asarray(n.variance).ravel())
    g["norm_out"] = arr(n(d[:4]))
    # adapt from batches (an iterable of batches, merged as from a dataset)
    # Normalization.adapt checks isinstance(data, tf.data.Dataset) first,
    # which imports TensorFlow; without it no data is a tf.data.Dataset.
    import types
    import keras.src.layers.preprocessing.normalization as normalization_module

    saved_tf = normalization_module.tf
    normalization_module.tf = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=type("NoDataset", (), {})))
    n2 = L.Normalization()
    n2.adapt([d[:16], d[16:32], d[32:]])
    normalization_module.tf = saved_tf
    g["norm_batched_mean"] = arr(np.asarray(n2.mean).ravel())
    g["norm_batched_var"] = arr(np.asarray(n2.variance).ravel())
    ni = L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25], invert=True)
    g["norm_invert"] = arr(ni(d[:4]))
    v = np.random.RandomState(2).normal(0, 1, size=(200,)).astype("float32")
    g["disc_data"] = arr(v)
    # Discretization.adapt's type checks import TensorFlow; its steps
    # (update_state per batch, then finalize_state) are called directly.
    g["disc_bins4"] = adapt_discretization(L.Discretization(num_bins=4), [v])
    g["disc_bins5_batched"] = adapt_discretization(L.Discretization(num_bins=5, epsilon=0.05),
                                                   [v[:70], v[70:150], v[150:]])
    q = np.array([[-1.5, 0.0, 0.2], [1.0, 3.0, -0.1]], dtype="float32")
    g["disc_in"] = arr(q)
    g["disc_int"] = arr(L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0])(q))
    g["disc_count"] = arr(L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0], output_mode="count")(q))
    tok = np.array([[0, 3, 3], [4, 1, 0]], dtype="int32")
    g["cat_in"] = arr(tok)
    g["cat_multi"] = arr(L.CategoryEncoding(5)(tok))
    g["cat_count"] = arr(L.CategoryEncoding(5, output_mode="count")(tok))
    g["cat_onehot"] = arr(L.CategoryEncoding(5, output_mode="one_hot")(tok[:, :1]))
    for name, layer in {
        "resize_bilinear": L.Resizing(4, 3),
        "resize_nearest": L.Resizing(7, 4, interpolation="nearest"),
        "resize_bicubic": L.Resizing(3, 8, interpolation="bicubic"),
        "resize_crop": L.Resizing(4, 4, crop_to_aspect_ratio=True),
        "resize_pad": L.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=7.0),
        "center_crop": L.CenterCrop(3, 4),
        "center_crop_up": L.CenterCrop(6, 4),
        "rotation_30": L.RandomRotation((30 / 360, 30 / 360), fill_mode="constant", fill_value=5.0),
        "rotation_m50_reflect": L.RandomRotation((-50 / 360, -50 / 360)),
        "rotation_80_wrap_nearest": L.RandomRotation((80 / 360, 80 / 360), fill_mode="wrap", interpolation="nearest"),
        "rotation_45_nearestfill": L.RandomRotation((45 / 360, 45 / 360), fill_mode="nearest"),
        "zoom": L.RandomZoom((-0.3, -0.3), (0.4, 0.4)),
        "zoom_same": L.RandomZoom((0.25, 0.25), fill_mode="constant"),
        "translation": L.RandomTranslation((0.2, 0.2), (-0.35, -0.35), fill_mode="wrap"),
        "translation_reflect": L.RandomTranslation((-0.4, -0.4), (0.5, 0.5)),
        "brightness": L.RandomBrightness((0.1, 0.1)),
    }.items():
        g[name] = arr(layer(x, training=True))
    # keras.ops.image.affine_transform with a general matrix, each fill mode
    t = np.array([[0.9, 0.3, -1.2, -0.2, 1.1, 0.7, 0, 0], [1.3, -0.4, 0.5, 0.25, 0.8, -1.5, 0, 0]], "float32")
    g["affine_t"] = arr(t)
    for mode in ["constant", "nearest", "wrap", "mirror", "reflect"]:
        for interp in ["bilinear", "nearest"]:
            y = keras.ops.image.affine_transform(x, t, interpolation=interp, fill_mode=mode, fill_value=-3.0)
            g["affine_%s_%s" % (mode, interp)] = arr(y)
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(g, f)
    save_models("keras3")


def model(x_shape, layers, dtype="float32"):
    inp = keras.Input(x_shape, dtype=dtype)
    y = inp
    for layer in layers:
        y = layer(y)
    return keras.Model(inp, y)


def save_models(tag):
    """A model of every deterministic layer (and random ones, identity at inference)."""
    x = image(2, 6, 6, 3, seed=3)
    norm = L.Normalization()
    norm.adapt(x)
    layers = [norm, L.Rescaling(0.5, 0.25), L.Resizing(5, 4, interpolation="nearest"), L.CenterCrop(4, 3),
              L.RandomFlip(seed=1), L.RandomRotation(0.1, seed=2), L.RandomZoom(0.2), L.RandomTranslation(0.1, 0.2),
              L.RandomContrast(0.3), L.RandomBrightness(0.2)]
    m = model((6, 6, 3), layers)
    y = m.predict(x, verbose=0)
    io = {"image_x": arr(x), "image_y": arr(y)}
    ext = [".keras", ".h5"] if tag == "keras3" else [".h5"]
    for e in ext:
        if e == ".h5" and tag == "keras3":
            # Keras 3.15's legacy .h5 writer fails on RandomBrightness
            # ("cannot pickle 'module' object"): the .h5 model leaves it out
            # (it is the identity at inference, so the outputs are the same).
            m = model((6, 6, 3), layers[:-1])
        m.save(os.path.join(OUT, "image_%s%s" % (tag, e)))
    tok = np.array([[0.5, -2.0, 1.5], [3.0, 0.0, -0.5]], "float32")
    disc = L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0])
    m2 = model((3,), [disc, L.CategoryEncoding(4, output_mode="count")])
    io["cat_x"] = arr(tok)
    io["cat_y"] = arr(m2.predict(tok, verbose=0))
    with open(os.path.join(OUT, "models_%s.json" % tag), "w") as f:
        json.dump(io, f)
    for e in ext:
        m2.save(os.path.join(OUT, "cat_%s%s" % (tag, e)))


def main_tf2():
    vals = np.array([[0, 1, -5, 7], [123456789, -9223372036854775807 - 1, 9223372036854775807, 42]], "int64")
    g = {"values": vals.ravel().tolist(), "shape": list(vals.shape)}
    g["fast10"] = L.Hashing(10)(vals).numpy().ravel().tolist()
    g["fast_mask"] = L.Hashing(10, mask_value=7)(vals).numpy().ravel().tolist()
    g["strong"] = L.Hashing(1000, salt=[133, 137])(vals).numpy().ravel().tolist()
    g["strong_one"] = L.Hashing(97, salt=5)(vals).numpy().ravel().tolist()
    g["fingerprint"] = [int(v) for v in tf.fingerprint(tf.constant(["0"]), "farmhash64").numpy().view("<u8").ravel()]
    texts = ["", "a", "abc", "hello", "12345678", "-9223372036854775808", "abcdefghijklmnopqrstuvwxyz012345"]
    big = 2 ** 62
    g["texts"] = texts
    g["fast_texts"] = tf.strings.to_hash_bucket_fast(texts, big).numpy().tolist()
    g["strong_texts"] = tf.strings.to_hash_bucket_strong(texts, big, [11, 22]).numpy().tolist()
    hm = model((4,), [L.Hashing(16, salt=[1, 2])], dtype="int64")
    hm.save(os.path.join(OUT, "hashing_tf2.h5"))
    g["model_y"] = hm.predict(vals, verbose=0).ravel().tolist()
    with open(os.path.join(OUT, "hashing.json"), "w") as f:
        json.dump(g, f)
    save_models("tf2")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    main_tf2() if TF2 else main_keras3()
