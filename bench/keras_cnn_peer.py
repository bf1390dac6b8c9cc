"""Second peer: real Keras 3 training the Fashion-MNIST CNN of bench/cnn_fashion.cpp
(Adam, batch 128, one epoch) for three seeds; prints time and test accuracy per seed.

Usage: KERAS_BACKEND=jax <venv>/bin/python bench/keras_cnn_peer.py [seeds=0,1,2] [learning_rate=0.001]
(the venv of scripts/test.sh has keras and jax: ~/.cache/keras.cpp/venv)
"""
import gzip, struct, sys, time, numpy as np, keras
D = "/usr/share/datasets/fashion-mnist/"
def idx(p):
    d = gzip.open(D + p).read(); magic, n = struct.unpack(">II", d[:8])
    if magic == 2051:
        r, c = struct.unpack(">II", d[8:16]); return np.frombuffer(d, np.uint8, offset=16).reshape(n, r, c)
    return np.frombuffer(d, np.uint8, offset=8)
xtr = idx("train-images-idx3-ubyte.gz")[..., None] / 255.0; ytr = idx("train-labels-idx1-ubyte.gz")
xte = idx("t10k-images-idx3-ubyte.gz")[..., None] / 255.0; yte = idx("t10k-labels-idx1-ubyte.gz")
seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [0, 1, 2]
lr = float(sys.argv[2]) if len(sys.argv) > 2 else 0.001
accs = []
for seed in seeds:
    keras.utils.set_random_seed(seed)
    L = keras.layers
    m = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                          L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                          L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t = time.time(); m.fit(xtr, ytr, batch_size=128, epochs=1, verbose=0); dt = time.time() - t
    accs.append(m.evaluate(xte, yte, verbose=0)[1])
    print(f"keras {keras.__version__} ({keras.backend.backend()}) seed {seed} lr {lr:g}: 1 epoch {dt:.1f} s, test acc {accs[-1]:.4f}", flush=True)
