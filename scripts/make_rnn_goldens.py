#!/usr/bin/env python3
"""Golden files for tests/test_recurrent_keras.cpp, made by real Keras.

Each case is a small model with every weight set to fixed random values
(numpy seed per case), saved as tests/fixtures/rnn/<case>.keras (some also
as <case>.h5), beside <case>_io.h5 holding its inputs x0, x1, ... and
Keras's predictions y0, y1, ...

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_rnn_goldens.py
    /tmp/tf2/bin/python scripts/make_rnn_goldens.py --tf2   # tf.keras 2.15 .h5 files (tf2_*)
"""
import os
import sys
import zipfile

TF2 = "--tf2" in sys.argv
if not TF2:
    os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

if TF2:
    from tensorflow import keras  # noqa: E402
else:
    import keras  # noqa: E402

L = keras.layers
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "rnn")


def set_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype("float32") for w in model.get_weights()])


def tokens(rng, batch, steps, vocab):
    """Token ids with zero padding at the end and a zero inside some rows."""
    t = rng.integers(1, vocab, (batch, steps))
    for b in range(batch):
        n = rng.integers(2, steps + 1)
        t[b, n:] = 0
    t[0, 1] = 0
    t[-1, :] = rng.integers(1, vocab, steps)
    return t.astype("int32")


def deflate(path):
    """Rewrites a .keras zip with compressed members (the HDF5 inside is mostly padding)."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n, data in members:
            z.writestr(n, data)


def save(name, model, xs, seed, h5=False):
    set_weights(model, seed)
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    os.makedirs(OUT, exist_ok=True)
    if TF2:
        model.save(os.path.join(OUT, name + ".h5"))
    else:
        model.save(os.path.join(OUT, name + ".keras"))
        deflate(os.path.join(OUT, name + ".keras"))
        if h5:
            model.save(os.path.join(OUT, name + ".h5"))
    with h5py.File(os.path.join(OUT, name + "_io.h5"), "w") as f:
        for i, x in enumerate(xs):
            f[f"x{i}"] = x
        for i, y in enumerate(ys):
            f[f"y{i}"] = np.asarray(y, dtype="float32")
    print(name, [np.shape(y) for y in ys])


def keras3_cases():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 6, 3)).astype("float32")
    inp = keras.Input((6, 3))
    save("lstm_seq_state", keras.Model(inp, L.LSTM(4, return_sequences=True, return_state=True)(inp)), [x], 1, h5=True)

    tok = tokens(rng, 4, 7, 10)
    ti = keras.Input((7,), dtype="int32")
    e = L.Embedding(10, 4, mask_zero=True)(ti)
    save("embed_lstm_mask", keras.Model(ti, L.LSTM(5, return_sequences=True)(e)), [tok], 2)

    ti = keras.Input((7,), dtype="int32")
    e = L.Embedding(10, 3, mask_zero=True)(ti)
    g = L.GRU(4, go_backwards=True, return_sequences=True)(e)
    save("embed_gru_backwards_mask", keras.Model(ti, L.LSTM(2)(g)), [tok], 3)

    inp = keras.Input((6, 3))
    save("gru_reset_before_state", keras.Model(inp, L.GRU(4, reset_after=False, return_state=True)(inp)), [x], 4)

    inp = keras.Input((6, 3))
    s = L.SimpleRNN(3, activation="relu", return_sequences=True)(inp)
    save("simple_rnn_relu", keras.Model(inp, L.SimpleRNN(2, go_backwards=True)(s)), [x], 5)

    inp = keras.Input((6, 3))
    save("lstm_no_bias_backwards", keras.Model(inp, L.LSTM(3, use_bias=False, go_backwards=True,
                                                          unit_forget_bias=False)(inp)), [x], 6)

    inp = keras.Input((6, 3))
    save("lstm_hard_sigmoid", keras.Model(inp, L.LSTM(3, recurrent_activation="hard_sigmoid",
                                                     return_sequences=True)(inp)), [x], 13)

    xm = x.copy()
    xm[0, 4:] = 0.0
    xm[1, 2] = 0.0
    inp = keras.Input((6, 3))
    m = L.Masking(0.0)(inp)
    save("masking_gru", keras.Model(inp, L.GRU(3, return_sequences=True)(m)), [xm], 7)

    for mode in ("concat", "sum", "mul", "ave"):
        ti = keras.Input((7,), dtype="int32")
        e = L.Embedding(10, 3, mask_zero=True)(ti)
        b = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode)(e)
        save(f"bidir_{mode}", keras.Model(ti, L.Bidirectional(L.GRU(2), merge_mode=mode)(b)), [tok], 8,
             h5=mode == "concat")
    inp = keras.Input((6, 3))
    save("bidir_none", keras.Model(inp, L.Bidirectional(L.SimpleRNN(2), merge_mode=None)(inp)), [x], 9)
    inp = keras.Input((6, 3))
    bl = L.LSTM(3, go_backwards=True, return_sequences=True, return_state=True, use_bias=False, activation="relu")
    fl = L.LSTM(3, return_sequences=True, return_state=True)
    bs = L.Bidirectional(fl, backward_layer=bl, merge_mode="concat")(inp)
    save("bidir_backward_layer_state", keras.Model(inp, list(bs)), [x], 10)

    inp, h0, c0 = keras.Input((6, 3)), keras.Input((4,)), keras.Input((4,))
    s = L.LSTM(4, return_sequences=True)(inp, initial_state=[h0, c0])
    g = L.GRU(4)(s, initial_state=[h0])
    hc = rng.normal(size=(2, 3, 4)).astype("float32")
    save("initial_state", keras.Model([inp, h0, c0], g), [x, hc[0], hc[1]], 12)

    inp = keras.Input((6, 3))
    td = L.TimeDistributed(L.Dense(4, activation="tanh"))(inp)
    save("time_distributed_rnn", keras.Model(inp, L.RNN(L.GRUCell(3), return_sequences=True)(td)), [x], 11)


def tf2_cases():
    rng = np.random.default_rng(17)
    x = rng.normal(size=(3, 6, 3)).astype("float32")
    inp = keras.Input((6, 3))
    s = L.LSTM(4, return_sequences=True)(inp)
    g = L.GRU(3)(s)
    save("tf2_lstm_gru", keras.Model(inp, L.Dense(2)(g)), [x], 21)
    inp = keras.Input((6, 3))
    b = L.Bidirectional(L.GRU(2, reset_after=False, return_sequences=True))(inp)
    save("tf2_bidir_gru", keras.Model(inp, L.LSTM(2)(b)), [x], 22)


if __name__ == "__main__":
    tf2_cases() if TF2 else keras3_cases()
