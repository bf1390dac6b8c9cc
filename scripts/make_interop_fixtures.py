#!/usr/bin/env python3
"""Builds the broad interop corpus under tests/fixtures/interop/<writer>/ with
real Keras: about fifty small models of the kinds users build, each saved by
the Keras that runs this script.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_interop_fixtures.py   # keras3: .keras + .h5
    /tmp/tf2/bin/python scripts/make_interop_fixtures.py    # tf2 (tensorflow-cpu==2.15.1): .h5

Every model gets random non-trivial weights, is compiled (or not) as a user
would, sometimes trained a couple of steps, and saved. Per writer:

  manifest.json  one entry per model: its files, whether it was trained,
                 whether one resumed training step is recorded, and for
                 models needing what keras.cpp lacks ("unsupported"), the
                 names its loading error must mention (every missing class).
  io.h5          one group per model: x0.. (a small input), y0.. (Keras's
                 predictions), and for resumable models rx0.., ry0.. (one
                 batch) and w0.. (the weights after one more training step
                 of the model loaded from its file, in Keras).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

try:  # tf.keras 2 when TensorFlow 2 is installed, else Keras 3
    import tensorflow as tf  # noqa: E402

    if not tf.__version__.startswith("2."):
        raise ImportError
    K = tf.keras
    WRITER = "tf2"
except ImportError:
    import keras as K  # noqa: E402

    WRITER = "keras3"
L = K.layers
O = K.optimizers
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "interop")

MODELS = []


def model(fn):
    MODELS.append(fn)
    return fn


def randomize(m, rng):
    """Random weights: scales and variances positive, everything else +-0.6."""
    ws = []
    for w, v in zip(m.weights, m.get_weights()):
        name = str(getattr(w, "path", None) or w.name)
        if "variance" in name or "gamma" in name:
            ws.append(rng.uniform(0.5, 1.5, v.shape).astype(v.dtype))
        else:
            ws.append(rng.uniform(-0.6, 0.6, v.shape).astype(v.dtype))
    m.set_weights(ws)


def seq(layers, name):
    return K.Sequential(layers, name=name)


def onehot(labels, n):
    return np.eye(n, dtype="float32")[labels]


# Each builder returns a dict: model, x (list of inputs), y (list of targets;
# None for uncompiled), compile (kwargs or None), train (steps of fit),
# resume (record one more step), unsupported (names the error must list).

def mlp(name, opt, loss="sparse_categorical_crossentropy", metrics=("accuracy",), train=2, units=3, act="softmax"):
    def build(rng):
        m = seq([K.Input((6,)), L.Dense(8, activation="relu", kernel_initializer="he_normal"),
                 L.Dense(6, activation="tanh", use_bias=False), L.Dense(units, activation=act)], name)
        y = rng.integers(0, 3, 8)
        if loss in ("mse", "mae", "binary_crossentropy"):
            y = rng.uniform(0, 1, (8, units)).astype("float32")
        elif loss == "categorical_crossentropy" or isinstance(loss, K.losses.CategoricalCrossentropy):
            y = onehot(y, units)
        return dict(model=m, x=[rng.uniform(-1, 1, (8, 6))], y=[y],
                    compile=dict(optimizer=opt(), loss=loss, metrics=list(metrics)), train=train)
    build.__name__ = name
    return build


model(mlp("mlp_sgd_nesterov", lambda: O.SGD(0.05, momentum=0.9, nesterov=True)))
model(mlp("mlp_sgd_plain", lambda: O.SGD(0.1), loss="mse", metrics=("mae",)))
model(mlp("mlp_adam_amsgrad_clipnorm", lambda: O.Adam(0.01, amsgrad=True, clipnorm=1.0), loss="mse",
          metrics=("mae", "mse")))
model(mlp("mlp_adamw", lambda: O.AdamW(0.01, weight_decay=0.05), loss="binary_crossentropy",
          metrics=("binary_accuracy",), units=2, act="sigmoid"))
model(mlp("mlp_rmsprop_centered", lambda: O.RMSprop(0.01, rho=0.8, momentum=0.3, centered=True),
          loss="categorical_crossentropy", metrics=("categorical_accuracy",)))
model(mlp("mlp_adagrad_clipvalue", lambda: O.Adagrad(0.05, initial_accumulator_value=0.3, clipvalue=0.5), loss="mae"))
model(mlp("mlp_adam_global_clipnorm", lambda: O.Adam(0.02, beta_1=0.8, beta_2=0.95, global_clipnorm=0.5)))
model(mlp("mlp_adam_untrained", lambda: O.Adam(0.003), train=0))
model(mlp("mlp_rmsprop_untrained", lambda: O.RMSprop(0.002), loss="mse", train=0))
model(mlp("mlp_logits_smoothing", lambda: O.Adam(0.01),
          loss=K.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), act=None))
model(mlp("mlp_sparse_logits", lambda: O.SGD(0.05, momentum=0.5),
          loss=K.losses.SparseCategoricalCrossentropy(from_logits=True), act="linear"))


@model
def mlp_uncompiled(rng):
    m = seq([K.Input((5,)), L.Dense(7, activation="selu", use_bias=False), L.Dense(2)], "mlp_uncompiled")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 5))])


@model
def dense_activations(rng):
    acts = ["elu", "selu", "softplus", "softsign", "gelu", "swish", "relu6", "hard_sigmoid", "leaky_relu", "mish",
            "sigmoid", "exponential", "softmax"]
    m = seq([K.Input((6,))] + [L.Dense(6, activation=a, name=f"d_{a}") for a in acts], "dense_activations")
    return dict(model=m, x=[rng.uniform(-2, 2, (4, 6))])


@model
def activation_layers(rng):
    acts = ["tanh", "elu", "hard_sigmoid", "relu6", "gelu", "softsign", "selu", "log_softmax"]
    layers = [K.Input((6,)), L.Dense(6)]
    for a in acts:
        layers += [L.Activation(a), L.Dense(6, name=f"after_{a}")]
    return dict(model=seq(layers, "activation_layers"), x=[rng.uniform(-4, 4, (4, 6))])


@model
def hard_sigmoid_wide(rng):
    # Inputs spread far enough that Keras 2's 0.2x+0.5 and Keras 3's x/6+0.5 differ.
    m = seq([K.Input((4,)), L.Dense(4, activation="hard_sigmoid", kernel_initializer="ones"), L.Activation("hard_sigmoid")],
            "hard_sigmoid_wide")
    return dict(model=m, x=[rng.uniform(-3, 3, (6, 4))])


@model
def relu_layers(rng):
    m = seq([K.Input((6,)), L.Dense(8), L.ReLU(max_value=6.0), L.Dense(8), L.ReLU(negative_slope=0.1, threshold=0.2),
             L.Dense(8), L.ReLU(max_value=1.5, negative_slope=0.05), L.Dense(3)], "relu_layers")
    return dict(model=m, x=[rng.uniform(-3, 3, (8, 6))], y=[rng.uniform(-1, 1, (8, 3))],
                compile=dict(optimizer=O.Adam(0.01), loss="mse"), train=2)


@model
def dropout_reshape(rng):
    m = seq([K.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.4, seed=3), L.Reshape((2, 4)),
             L.Flatten(), L.Dense(4), L.Reshape((4, 1)), L.Flatten(), L.Dense(2, activation="softmax")], "dropout_reshape")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6))], y=[rng.integers(0, 2, 8)],
                compile=dict(optimizer=O.RMSprop(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
                train=2, resume=False)


@model
def conv1d_stack(rng):
    m = seq([K.Input((12, 3)), L.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
             L.Conv1D(4, 3, dilation_rate=2, padding="causal", use_bias=False),
             L.MaxPooling1D(2, padding="same"), L.AveragePooling1D(2, strides=1), L.Conv1D(4, 2, groups=2),
             L.GlobalAveragePooling1D(), L.Dense(2)], "conv1d_stack")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 12, 3))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.Adam(0.01), loss="mse", metrics=["mae"]), train=2)


@model
def conv1d_globalmax(rng):
    m = seq([K.Input((10, 2)), L.Conv1D(3, 4, strides=1, padding="valid", activation="tanh"),
             L.MaxPooling1D(3, strides=2), L.GlobalMaxPooling1D(keepdims=True), L.Flatten(), L.Dense(1)],
            "conv1d_globalmax")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 10, 2))])


@model
def cnn_bn_adam(rng):
    m = seq([K.Input((10, 10, 2)), L.Conv2D(4, 3, strides=2, padding="same", use_bias=False),
             L.BatchNormalization(momentum=0.9, epsilon=1e-2), L.Activation("relu"),
             L.MaxPooling2D(2, strides=1, padding="same"), L.Conv2D(3, (2, 3), dilation_rate=(1, 2), activation="elu"),
             L.GlobalAveragePooling2D(), L.Dense(3, activation="softmax")], "cnn_bn_adam")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 10, 10, 2))], y=[rng.integers(0, 3, 8)],
                compile=dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
                train=2)


@model
def cnn_sgd_untrained(rng):
    m = seq([K.Input((6, 6, 3)), L.Conv2D(4, 3, groups=1, kernel_initializer="glorot_normal"),
             L.AveragePooling2D((2, 2), padding="same"), L.Flatten(), L.Dense(2, activation="sigmoid")],
            "cnn_sgd_untrained")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6, 6, 3))], y=[rng.uniform(0, 1, (8, 2))],
                compile=dict(optimizer=O.SGD(0.01, momentum=0.8), loss="binary_crossentropy"), train=0)


@model
def conv2d_groups(rng):
    m = seq([K.Input((6, 6, 4)), L.Conv2D(6, 3, groups=2, padding="same", activation="relu"),
             L.Conv2D(4, 1, strides=(2, 1)), L.GlobalMaxPooling2D(), L.Dense(2)], "conv2d_groups")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 6, 6, 4))])


@model
def conv2d_transpose(rng):
    m = seq([K.Input((4, 4, 3)), L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
             L.Conv2DTranspose(2, 2, strides=(1, 2), padding="valid", use_bias=False),
             L.Conv2DTranspose(2, 3, strides=2, output_padding=1)], "conv2d_transpose")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 4, 4, 3))], y=[rng.uniform(-1, 1, (8, 20, 34, 2))],
                compile=dict(optimizer=O.SGD(0.01), loss="mse"), train=1)


@model
def depthwise(rng):
    m = seq([K.Input((8, 8, 3)), L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", activation="relu"),
             L.DepthwiseConv2D((2, 2), use_bias=False), L.GlobalAveragePooling2D(keepdims=True), L.Flatten()],
            "depthwise")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 8, 8, 3))])


@model
def separable(rng):
    m = seq([K.Input((8, 8, 2)), L.SeparableConv2D(4, 3, depth_multiplier=2, padding="same", activation="tanh"),
             L.AveragePooling2D(2, padding="same"), L.SeparableConv2D(3, (2, 2), strides=2, use_bias=False),
             L.Flatten(), L.Dense(2)], "separable")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 8, 8, 2))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.RMSprop(0.01), loss="mae"), train=2)


@model
def pad_crop_upsample(rng):
    m = seq([K.Input((4, 5, 2)), L.ZeroPadding2D(((1, 0), (2, 1))), L.Cropping2D(((1, 0), (0, 1))),
             L.UpSampling2D((2, 1)), L.UpSampling2D(2, interpolation="bilinear"), L.Conv2D(2, 3),
             L.ZeroPadding2D(1), L.Cropping2D(2), L.Flatten()], "pad_crop_upsample")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4, 5, 2))])


@model
def batchnorm_variants(rng):
    m = seq([K.Input((5, 5, 3)), L.BatchNormalization(center=False, momentum=0.8),
             L.Conv2D(4, 2), L.BatchNormalization(scale=False, epsilon=0.1), L.Flatten(),
             L.Dense(6), L.BatchNormalization(axis=-1), L.Dense(2)], "batchnorm_variants")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 5, 5, 3))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.SGD(0.05, momentum=0.9), loss="mse"), train=2)


@model
def layernorm(rng):
    m = seq([K.Input((4, 6)), L.Dense(6), L.LayerNormalization(epsilon=1e-4, center=False),
             L.Dense(5), L.LayerNormalization(scale=False), L.Flatten(), L.Dense(2)], "layernorm")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 4, 6))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.Adam(0.01), loss="mse"), train=2)


@model
def spatial_dropout(rng):
    m = seq([K.Input((6, 6, 2)), L.Conv2D(4, 3, padding="same"), L.SpatialDropout2D(0.3),
             L.GlobalAveragePooling2D(keepdims=True), L.Flatten(), L.Dense(2)], "spatial_dropout")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 6, 6, 2))])


@model
def nested_sequential(rng):
    inner = seq([L.Dense(6, activation="relu"), L.Dense(4, activation="tanh")], "inner_block")
    m = seq([K.Input((5,)), inner, L.Dense(3, activation="softmax")], "nested_sequential")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 5))], y=[rng.integers(0, 3, 8)],
                compile=dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy"), train=2)


@model
def func_two_io(rng):
    a, b = K.Input((6,), name="left"), K.Input((6,), name="right")
    h, g = L.Dense(6, activation="relu")(a), L.Dense(6, activation="tanh")(b)
    add, sub = L.Add()([h, g]), L.Subtract()([h, g])
    mul = L.Multiply()([add, sub])
    avg = L.Average()([h, g, mul])
    mx, mn = L.Maximum()([avg, h]), L.Minimum()([avg, g])
    cat = L.Concatenate(axis=-1)([mx, mn])
    dot = L.Dot(axes=1, normalize=True)([h, g])
    out1 = L.Dense(3, activation="softmax", name="cls")(cat)
    out2 = L.Dense(1, name="reg")(L.Concatenate()([cat, dot]))
    m = K.Model([a, b], [out1, out2], name="func_two_io")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6)), rng.uniform(-1, 1, (8, 6))],
                y=[rng.integers(0, 3, 8), rng.uniform(-1, 1, (8, 1))],
                compile=dict(optimizer=O.Adam(0.01), loss=["sparse_categorical_crossentropy", "mse"],
                             loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]]), train=2)


@model
def func_nested_sequential(rng):
    inp = K.Input((6,), name="x")
    inner = seq([K.Input((8,)), L.Dense(5, activation="relu"), L.Dense(4)], "inner_seq")
    h = L.Dense(8, activation="tanh")(inp)
    out = L.Dense(2)(inner(h))
    m = K.Model(inp, out, name="func_nested_sequential")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.SGD(0.05, momentum=0.9, nesterov=True), loss="mse"), train=2)


@model
def func_nested_model(rng):
    i = K.Input((4,))
    j = L.Dense(4, activation="relu")(i)
    inner = K.Model(i, L.Add()([L.Dense(4)(j), i]), name="inner_res")
    inp = K.Input((4,))
    h = inner(L.Dense(4)(inp))
    out = L.Dense(3, activation="softmax")(inner(h))  # the same nested model called twice in a row
    m = K.Model(inp, out, name="func_nested_model")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 4))], y=[rng.integers(0, 3, 8)],
                compile=dict(optimizer=O.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
                train=2)


@model
def func_shared_tower(rng):
    tower = seq([K.Input((5,)), L.Dense(6, activation="relu"), L.Dense(4, activation="tanh")], "tower")
    a, b = K.Input((5,), name="a"), K.Input((5,), name="b")
    ta, tb = tower(a), tower(b)
    out = L.Dense(1, activation="sigmoid")(L.Concatenate()([L.Subtract()([ta, tb]), L.Multiply()([ta, tb])]))
    m = K.Model([a, b], out, name="func_shared_tower")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 5)), rng.uniform(-1, 1, (8, 5))], y=[rng.uniform(0, 1, (8, 1))],
                compile=dict(optimizer=O.RMSprop(0.01), loss="binary_crossentropy", metrics=["binary_accuracy"]),
                train=2)


@model
def func_shared_functional_tower(rng):
    i = K.Input((6,))
    t = K.Model(i, L.Dense(3)(L.Dense(5, activation="elu")(i)), name="ftower")
    a, b, c = K.Input((6,)), K.Input((6,)), K.Input((6,))
    out = L.Average()([t(a), t(b), t(c)])
    m = K.Model([a, b, c], out, name="func_shared_functional_tower")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 6)) for _ in range(3)])


@model
def func_shared_layer(rng):
    a, b = K.Input((4,)), K.Input((4,))
    shared = L.Dense(5, activation="relu", name="shared")
    sa, sb = shared(a), shared(b)
    again = shared(L.Dense(4)(L.Add()([sa, sb])))
    m = K.Model([a, b], [L.Dense(2)(again), sa], name="func_shared_layer")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4)), rng.uniform(-1, 1, (4, 4))])


@model
def func_deep_nesting(rng):
    i0 = K.Input((4,))
    level0 = K.Model(i0, L.Dense(4, activation="tanh")(i0), name="level0")
    i1 = K.Input((4,))
    level1 = K.Model(i1, L.Dense(4)(level0(i1)), name="level1")
    block = seq([K.Input((4,)), level1, L.Dense(4, activation="relu")], "level2")
    inp = K.Input((4,))
    m = K.Model(inp, L.Dense(2)(block(inp)), name="func_deep_nesting")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 4))], y=[rng.uniform(-1, 1, (8, 2))],
                compile=dict(optimizer=O.Adagrad(0.1), loss="mse"), train=2)


def inverted_residual(x, expand, out, stride, name):
    cin = x.shape[-1]
    h = L.Conv2D(cin * expand, 1, padding="same", use_bias=False, name=name + "_expand")(x)
    h = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=name + "_expand_bn")(h)
    h = L.ReLU(6.0, name=name + "_expand_relu")(h)
    if stride == 2:
        h = L.ZeroPadding2D(((0, 1), (0, 1)), name=name + "_pad")(h)
    h = L.DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid", use_bias=False,
                          name=name + "_depthwise")(h)
    h = L.BatchNormalization(name=name + "_depthwise_bn")(h)
    h = L.ReLU(6.0, name=name + "_depthwise_relu")(h)
    # Squeeze-and-excite: (B, H, W, C) * (B, 1, 1, C).
    s = L.GlobalAveragePooling2D(keepdims=True, name=name + "_se_pool")(h)
    s = L.Conv2D(4, 1, activation="relu", name=name + "_se_reduce")(s)
    s = L.Conv2D(h.shape[-1], 1, activation="hard_sigmoid", name=name + "_se_expand")(s)
    h = L.Multiply(name=name + "_se_mul")([h, s])
    h = L.Conv2D(out, 1, padding="same", use_bias=False, name=name + "_project")(h)
    h = L.BatchNormalization(name=name + "_project_bn")(h)
    if stride == 1 and cin == out:
        h = L.Add(name=name + "_add")([x, h])
    return h


@model
def mobilenet_block(rng):
    inp = K.Input((12, 12, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="stem")(inp)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu")(x)
    x = inverted_residual(x, 2, 8, 1, "block1")
    x = inverted_residual(x, 2, 6, 2, "block2")
    out = L.Dense(3, activation="softmax")(L.GlobalAveragePooling2D()(x))
    m = K.Model(inp, out, name="mobilenet_block")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 12, 12, 3))], y=[rng.integers(0, 3, 8)],
                # SGD: Adam's m / sqrt(v) turns float32 noise in near-zero gradients (BatchNorm
                # betas before a residual Add) into whole steps, beyond a 1e-6 resume check.
                compile=dict(optimizer=O.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                             metrics=["accuracy"]), train=2)


@model
def mobilenetv2_truncated(rng):
    base = K.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, include_top=False)
    m = K.Model(base.input, base.get_layer("block_2_add").output, name="mobilenetv2_truncated")
    return dict(model=m, x=[rng.uniform(-1, 1, (2, 32, 32, 3))])


@model
def merge_broadcast(rng):
    x = K.Input((4, 4, 3))
    s = L.GlobalMaxPooling2D(keepdims=True)(x)  # (B, 1, 1, 3)
    outs = [L.Multiply()([x, s]), L.Add()([x, s]), L.Subtract()([x, s]), L.Average()([s, x]),
            L.Maximum()([x, s]), L.Minimum()([s, x])]
    m = K.Model(x, L.Concatenate()(outs), name="merge_broadcast")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4, 4, 3))])


@model
def resnet_block_sgd(rng):
    inp = K.Input((6, 6, 3))
    h = L.Conv2D(3, 3, padding="same")(inp)
    h = L.BatchNormalization()(h)
    h = L.Activation("relu")(h)
    h = L.Conv2D(3, 3, padding="same")(h)
    h = L.Activation("relu")(L.Add()([inp, h]))
    out = L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(h))
    m = K.Model(inp, out, name="resnet_block_sgd")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6, 6, 3))], y=[onehot(rng.integers(0, 2, 8), 2)],
                compile=dict(optimizer=O.SGD(0.05, momentum=0.9), loss="categorical_crossentropy",
                             metrics=["categorical_accuracy"]), train=2)


@model
def concat_axes(rng):
    inp = K.Input((4, 4, 2))
    a = L.Conv2D(3, 1)(inp)
    b = L.Conv2D(3, 1, activation="relu")(inp)
    c1 = L.Concatenate(axis=1)([a, b])
    c2 = L.Concatenate(axis=2)([a, b])
    m = K.Model(inp, [L.Flatten()(c1), L.Flatten()(c2)], name="concat_axes")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4, 4, 2))])


@model
def dot_axes(rng):
    a, b = K.Input((3, 4)), K.Input((5, 4))
    d = L.Dot(axes=(2, 2))([a, b])
    m = K.Model([a, b], L.Flatten()(d), name="dot_axes")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 3, 4)), rng.uniform(-1, 1, (4, 5, 4))])


@model
def func_multi_output_clip(rng):
    inp = K.Input((5,))
    h = L.Dense(6, activation="gelu")(inp)
    m = K.Model(inp, [L.Dense(2, name="a")(h), L.Dense(1, name="b")(h)], name="func_multi_output_clip")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 5))], y=[rng.uniform(-1, 1, (8, 2)), rng.uniform(-1, 1, (8, 1))],
                compile=dict(optimizer=O.Adam(0.01, clipnorm=0.1), loss=["mse", "mae"]), train=2)


@model
def func_untrained_adamw(rng):
    inp = K.Input((6,))
    out = L.Dense(2, activation="softmax")(L.LayerNormalization()(L.Dense(6)(inp)))
    m = K.Model(inp, out, name="func_untrained_adamw")
    return dict(model=m, x=[rng.uniform(-1, 1, (8, 6))], y=[rng.integers(0, 2, 8)],
                compile=dict(optimizer=O.AdamW(0.01, weight_decay=0.1), loss="sparse_categorical_crossentropy"),
                train=0)


@model
def mlp_before_training(rng):
    return mlp("mlp_before_training", lambda: O.Adam(0.01, amsgrad=True), train=0)(rng)


@model
def mlp_after_training(rng):
    return mlp("mlp_after_training", lambda: O.Adam(0.01, amsgrad=True), train=3)(rng)


# --- models needing what keras.cpp lacks (counted, expected to fail clearly) ---

@model
def recurrent(rng):
    m = seq([K.Input((5,)), L.Embedding(10, 4), L.LSTM(3, return_sequences=True), L.GRU(3, return_sequences=True),
             L.SimpleRNN(2), L.Dense(1)], "recurrent")
    return dict(model=m, x=[rng.integers(0, 10, (4, 5)).astype("float32")],
                unsupported=["Embedding", "LSTM", "GRU", "SimpleRNN"])


@model
def bidirectional(rng):
    m = seq([K.Input((4, 3)), L.Bidirectional(L.LSTM(2, return_sequences=True)), L.TimeDistributed(L.Dense(2)),
             L.Flatten()], "bidirectional")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4, 3))], unsupported=["Bidirectional", "TimeDistributed"])


@model
def attention(rng):
    inp = K.Input((4, 6))
    att = L.MultiHeadAttention(num_heads=2, key_dim=3)(inp, inp)
    h = L.LayerNormalization()(L.Add()([inp, att]))
    m = K.Model(inp, L.GlobalAveragePooling1D()(h), name="attention")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4, 6))], unsupported=["MultiHeadAttention"])


@model
def lr_schedule(rng):
    sched = O.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
    return dict(mlp("lr_schedule", lambda: O.Adam(sched))(rng), unsupported=["ExponentialDecay"])


@model
def regularized(rng):
    m = seq([K.Input((4,)), L.Dense(4, kernel_regularizer=K.regularizers.L2(0.01)), L.Dense(2)], "regularized")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4))], unsupported=["kernel_regularizer"])


@model
def constrained(rng):
    m = seq([K.Input((4,)), L.Dense(4, kernel_constraint=K.constraints.MaxNorm(2.0)), L.Dense(2)], "constrained")
    return dict(model=m, x=[rng.uniform(-1, 1, (4, 4))], unsupported=["kernel_constraint"])


# --- writing ---

def as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def arg(xs):
    return xs if len(xs) > 1 else xs[0]


def resume_weights(path, xs, ys):
    """One more training step of the model loaded from `path`, in Keras."""
    m = K.models.load_model(path)
    m.fit(arg(xs), arg(ys), batch_size=len(xs[0]), epochs=1, shuffle=False, verbose=0)
    return m.get_weights(), int(np.asarray(m.optimizer.iterations))


def save_one(build, out, io, rng):
    spec = build(rng)
    m = spec["model"]
    name = m.name
    randomize(m, rng)
    xs = [np.asarray(x, "float32") for x in spec["x"]]
    ys = [np.asarray(y) for y in spec.get("y") or []]
    entry = {"name": name, "trained_steps": 0, "compiled": bool(spec.get("compile")),
             "unsupported": spec.get("unsupported", [])}
    if spec.get("compile"):
        m.compile(**spec["compile"])
        if spec.get("train"):
            m.fit(arg(xs), arg(ys), batch_size=4, epochs=1, shuffle=False, verbose=0)
            entry["trained_steps"] = int(np.asarray(m.optimizer.iterations))
    files = []
    # .keras first: Keras 3's legacy .h5 writer pops "optimizer" from the compile config.
    for ext in ([".keras", ".h5"] if WRITER == "keras3" else [".h5"]):
        m.save(os.path.join(out, name + ext))
        files.append(name + ext)
    entry["files"] = files
    g = io.create_group(name)
    pred_x = [x[:4] for x in xs]
    for i, x in enumerate(pred_x):
        g[f"x{i}"] = x
    for i, y in enumerate(as_list(m.predict(arg(pred_x), verbose=0))):
        g[f"y{i}"] = np.asarray(y, "float32")
    resume = entry["trained_steps"] > 0 and spec.get("resume", True) and not entry["unsupported"]
    if resume:
        w, it = resume_weights(os.path.join(out, files[0]), xs, ys)
        if it != entry["trained_steps"] + 1:
            sys.exit(f"{name}: the optimizer of the loaded {files[0]} did not continue "
                     f"(iteration {it}, expected {entry['trained_steps'] + 1})")
        for i, x in enumerate(xs):
            g[f"rx{i}"] = x
        for i, y in enumerate(ys):
            g[f"ry{i}"] = y.astype("float32") if y.dtype.kind == "f" else y.astype("int64")
        for i, v in enumerate(w):
            g[f"w{i}"] = v
        entry["resume_from"] = files[0]
    entry["resume"] = bool(resume)
    return entry


def main():
    out = os.path.join(ROOT, WRITER)
    os.makedirs(out, exist_ok=True)
    K.utils.set_random_seed(7)
    rng = np.random.default_rng(11)
    version = tf.__version__ if WRITER == "tf2" else K.__version__
    entries = []
    with h5py.File(os.path.join(out, "io.h5"), "w") as io:
        for build in MODELS:
            entries.append(save_one(build, out, io, rng))
            e = entries[-1]
            print(f"{WRITER} {e['name']}: {', '.join(e['files'])}"
                  f"{' trained ' + str(e['trained_steps']) if e['trained_steps'] else ''}"
                  f"{' (unsupported)' if e['unsupported'] else ''}")
    manifest = {"writer": WRITER, "keras_version": version, "numpy": np.__version__, "models": entries}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{WRITER}: {len(entries)} models ({version})")


if __name__ == "__main__":
    main()
