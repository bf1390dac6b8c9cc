#!/usr/bin/env python3
"""The recipe of bench/bench_lstm.cpp in real Keras 3 (any backend; jax by
default): LSTM(256) over 100 steps of 64 features, batch 64, Dense(10),
sparse categorical crossentropy on logits, Adam; training steps per second
as the median of 5 runs of `steps` train_on_batch calls after 2 warm-up
steps (the first compiles).

    KERAS_BACKEND=jax python bench/peers/lstm_keras.py [steps=10]
"""
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
B, T, F, U = 64, 100, 64, 256
keras.utils.set_random_seed(1)
inp = keras.Input((T, F))
model = keras.Model(inp, keras.layers.Dense(10)(keras.layers.LSTM(U)(inp)))
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x = np.random.default_rng(1).uniform(-1, 1, (B, T, F)).astype("float32")
y = (np.arange(B) % 10).astype("int32")
for _ in range(2):
    model.train_on_batch(x, y)
rates = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    rates.append(steps / (time.perf_counter() - t0))
print(f"keras {keras.__version__} ({keras.backend.backend()}) LSTM({U}) T={T} F={F} batch={B}: "
      f"{statistics.median(rates):.2f} training steps/s (median of 5 x {steps} steps)")
