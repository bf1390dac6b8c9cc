#!/usr/bin/env python3
"""Golden values for the attention layers and the small layers, from real
Keras 3 (tests/test_attention*.cpp, tests/test_layers_misc*.cpp).

Eager cases go to tests/fixtures/attention/<name>.h5: the layer's weights
(w0, w1, ... in Keras's order, fixed random values), inputs x0, x1, ...,
masks m0, m1, ... (float 0/1; absent ones are missing) and outputs y0, y1,
...; a JSON attribute "case" holds the layer's arguments. Model cases are
saved by Keras as <name>.keras and <name>.h5 with <name>_io.h5 beside them
(inputs x*, predictions y*), so files written by Keras are read here.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_attention_goldens.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "attention")
rng = np.random.default_rng(7)


def rand(*shape):
    return rng.uniform(-1, 1, size=shape).astype("float32")


def set_random_weights(layer):
    ws = [rand(*w.shape) * 0.8 for w in layer.weights]
    layer.set_weights(ws)
    return ws


def write(name, case, ws, xs, masks, ys):
    with h5py.File(os.path.join(OUT, name + ".h5"), "w") as f:
        f.attrs["case"] = json.dumps(case)
        for i, w in enumerate(ws):
            f.create_dataset(f"w{i}", data=np.asarray(w, "float32"))
        for i, x in enumerate(xs):
            f.create_dataset(f"x{i}", data=np.asarray(x, "float32"))
        for i, m in enumerate(masks):
            if m is not None:
                f.create_dataset(f"m{i}", data=np.asarray(m, "float32"))
        for i, y in enumerate(ys if isinstance(ys, (list, tuple)) else [ys]):
            f.create_dataset(f"y{i}", data=np.asarray(y, "float32"))


def seq_mask(b, t, lengths):
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


def mha_cases():
    q, v, k = rand(2, 4, 6), rand(2, 5, 3), rand(2, 5, 4)
    am = rng.uniform(size=(2, 4, 5)) > 0.3
    am[:, :, 0] = True
    cases = [
        ("mha_basic", dict(num_heads=2, key_dim=3), dict(query=q, value=q), {}),
        ("mha_causal_scores", dict(num_heads=2, key_dim=3, value_dim=5),
         dict(query=q, value=q, use_causal_mask=True, return_attention_scores=True), {}),
        ("mha_key_mask_outshape", dict(num_heads=3, key_dim=2, value_dim=4, output_shape=(7,)),
         dict(query=q, value=v, key=k, attention_mask=am, return_attention_scores=True), {}),
        ("mha_no_bias_outshape2", dict(num_heads=2, key_dim=2, use_bias=False, output_shape=(2, 3)),
         dict(query=q, value=v), {}),
    ]
    x4 = rand(2, 3, 4, 5)
    cases.append(("mha_axes_12", dict(num_heads=2, key_dim=3, attention_axes=(1, 2)),
                  dict(query=x4, value=x4, return_attention_scores=True), {}))
    cases.append(("mha_axes_2", dict(num_heads=2, key_dim=2, attention_axes=(2,)),
                  dict(query=x4, value=x4, return_attention_scores=True), {}))
    for name, args, call, _ in cases:
        layer = layers.MultiHeadAttention(**args)
        out = layer(**call)
        ws = set_random_weights(layer)
        out = layer(**call)
        xs = [call["query"], call["value"]] + ([call["key"]] if "key" in call else [])
        xs += [call["attention_mask"]] if "attention_mask" in call else []
        masks = [call.get("query_mask"), call.get("value_mask")]
        flags = {k: call[k] for k in ("use_causal_mask", "return_attention_scores") if k in call}
        flags["key"] = "key" in call
        flags["attention_mask"] = "attention_mask" in call
        write(name, {"layer": args, "call": flags}, ws, xs, masks, out)
    # Masks as Keras's graph gives them (Masking on zero-padded steps): the
    # query's mask and the value's mask, with a causal mask on top.
    qm, vm = seq_mask(2, 4, [4, 2]), seq_mask(2, 5, [3, 5])
    qz, vz = q * qm[:, :, None], v * vm[:, :, None]
    qi, vi = keras.Input((4, 6)), keras.Input((5, 3))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out = layer(layers.Masking()(qi), layers.Masking()(vi), use_causal_mask=True, return_attention_scores=True)
    model = keras.Model([qi, vi], list(out))
    ws = set_random_weights(layer)
    flags = {"use_causal_mask": True, "return_attention_scores": True, "key": False, "attention_mask": False}
    write("mha_input_masks", {"layer": dict(num_heads=2, key_dim=3), "call": flags}, ws, [qz, vz], [qm, vm],
          model.predict([qz, vz], verbose=0))


def attention_cases():
    q, v, k = rand(2, 4, 3), rand(2, 5, 2), rand(2, 5, 3)
    qm, vm = seq_mask(2, 4, [4, 3]), seq_mask(2, 5, [2, 5])
    cases = [
        ("att_dot", layers.Attention(), [q, v, k], None, {}),
        ("att_dot_scale_causal", layers.Attention(use_scale=True), [q, k], [qm, vm],
         dict(use_causal_mask=True, return_attention_scores=True)),
        ("att_concat", layers.Attention(score_mode="concat", use_scale=True), [q, v, k], [qm, vm],
         dict(return_attention_scores=True)),
        ("add_att", layers.AdditiveAttention(), [q, v, k], [qm, vm], dict(return_attention_scores=True)),
        ("add_att_noscale_causal", layers.AdditiveAttention(use_scale=False), [q, k], None,
         dict(use_causal_mask=True)),
    ]
    for name, layer, xs, masks, call in cases:
        layer(xs, mask=masks, **call)
        ws = set_random_weights(layer)
        out = layer(xs, mask=masks, **call)
        cfg = layer.get_config()
        args = {k: cfg[k] for k in ("use_scale", "score_mode") if k in cfg}
        args["class"] = type(layer).__name__
        write(name, {"layer": args, "call": call}, ws, xs, masks or [], out)


def small_cases():
    x3 = rand(2, 3, 4) * 3
    x4 = rand(2, 3, 4, 6) * 2
    cases = [
        ("relu_all", layers.ReLU(max_value=1.5, negative_slope=0.2, threshold=0.5), x3),
        ("relu_threshold", layers.ReLU(threshold=0.3), x3),
        ("relu_slope", layers.ReLU(negative_slope=0.1), x3),
        ("leaky_relu", layers.LeakyReLU(negative_slope=0.15), x3),
        ("prelu_shared", layers.PReLU(shared_axes=[1]), x3),
        ("elu", layers.ELU(alpha=0.7), x3),
        ("softmax_axis1", layers.Softmax(axis=1), x3),
        ("group_norm", layers.GroupNormalization(groups=3, epsilon=1e-2), x4),
        ("group_norm_axis1", layers.GroupNormalization(groups=3, axis=1), x4),
        ("permute", layers.Permute((3, 1, 2)), x4),
        ("repeat_vector", layers.RepeatVector(3), x3[:, 0, :]),
    ]
    for name, layer, x in cases:
        layer(x)
        ws = set_random_weights(layer)
        y = layer(x)
        cfg = layer.get_config()
        cfg.pop("dtype", None)
        write(name, {"layer": cfg, "class": type(layer).__name__}, ws, [x], [], y)
    # Softmax with a mask (one row fully masked).
    m = rng.uniform(size=(2, 3, 4)) > 0.4
    m[0, 1, :] = False
    layer = layers.Softmax()
    write("softmax_mask", {"layer": {"axis": -1}, "class": "Softmax"}, [], [x3], [m], layer(x3, mask=m))


def model_cases():
    q = keras.Input((4, 6), name="q")
    v = keras.Input((5, 6), name="v")
    am = keras.Input((4, 5), dtype="bool", name="am")
    mha = layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=(5,), name="mha")
    y, s = mha(q, v, attention_mask=am, return_attention_scores=True)
    z = layers.MultiHeadAttention(2, 3, name="self_mha")(q, q, use_causal_mask=True)
    a = layers.Attention(score_mode="concat", name="att")([q, v], use_causal_mask=True)
    b = layers.AdditiveAttention(name="add_att")([q, v, v])
    g = layers.GroupNormalization(groups=2, name="gn")(layers.PReLU(name="prelu")(z))
    h = layers.Softmax(name="sm")(layers.ReLU(max_value=2.0, name="relu")(layers.Permute((2, 1), name="perm")(b)))
    model = keras.Model([q, v, am], [y, s, g, a, h])
    for layer in model.layers:
        if layer.weights:
            set_random_weights(layer)
    xs = [rand(3, 4, 6), rand(3, 5, 6), (rng.uniform(size=(3, 4, 5)) > 0.3)]
    xs[2][:, :, 0] = True
    ys = model.predict(xs, verbose=0)
    model.save(os.path.join(OUT, "attention_model.keras"))
    model.save(os.path.join(OUT, "attention_model.h5"))
    with h5py.File(os.path.join(OUT, "attention_model_io.h5"), "w") as f:
        for i, x in enumerate(xs):
            f.create_dataset(f"x{i}", data=np.asarray(x, "float32"))
        for i, y in enumerate(ys):
            f.create_dataset(f"y{i}", data=np.asarray(y, "float32"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(3)
    mha_cases()
    attention_cases()
    small_cases()
    model_cases()
    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"keras {keras.__version__}, backend {keras.backend.backend()}, numpy {np.__version__}\n")
    print("wrote", sorted(os.listdir(OUT)))
