#!/usr/bin/env python3
"""Builds the image-resize fixtures under tests/fixtures/keras/ with real Keras 3.

resize_io.h5: one group per keras.ops.image.resize call, case0, case1, ...,
each with datasets x (the input) and y (Keras's output) and string
attributes interpolation and antialias ("0" or "1"); the target size is
y's height and width. The cases scale up and down, by integer and other
factors, non-square, rank 3 and rank 4.

upsampling.keras / .h5 / _io.h5: a model with UpSampling2D layers of
several interpolations, as make_keras_fixtures.py writes its models.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_resize_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from make_keras_fixtures import OUT, save_all  # noqa: E402

# (input shape, (height, width), interpolation, antialias)
CASES = [
    ((2, 3, 4, 2), (6, 8), "bilinear", False),  # x2 up
    ((1, 4, 3, 3), (12, 9), "bilinear", False),  # x3 up
    ((2, 5, 7, 1), (9, 4), "bilinear", False),  # up in height, down in width, non-integer
    ((1, 8, 6, 2), (4, 2), "bilinear", False),  # /2, /3 down
    ((1, 9, 10, 2), (4, 3), "bilinear", True),  # down with antialiasing
    ((5, 3, 2), (10, 9), "bilinear", False),  # rank 3
    ((2, 3, 4, 2), (6, 12), "nearest", False),  # x2, x3 up
    ((1, 7, 9, 2), (3, 4), "nearest", False),  # down, non-integer
    ((1, 4, 5, 2), (11, 7), "nearest", False),  # up, non-integer
    ((1, 4, 3, 2), (8, 9), "bicubic", False),
    ((1, 9, 7, 1), (4, 5), "bicubic", False),
    ((1, 4, 5, 2), (7, 11), "lanczos3", False),
    ((1, 12, 10, 1), (5, 4), "lanczos3", True),
    ((1, 5, 4, 2), (11, 9), "lanczos5", False),
]


def resize_cases(rng):
    with h5py.File(os.path.join(OUT, "resize_io.h5"), "w") as f:
        for i, (shape, size, method, antialias) in enumerate(CASES):
            x = rng.normal(size=shape).astype("float32")
            y = keras.ops.image.resize(x, size, interpolation=method, antialias=antialias)
            g = f.create_group(f"case{i}")
            g.attrs["interpolation"] = method
            g.attrs["antialias"] = "1" if antialias else "0"
            g.create_dataset("x", data=x)
            g.create_dataset("y", data=np.asarray(y, dtype="float32"))
    print(f"resize_io: {len(CASES)} cases")


def upsampling(rng):
    model = keras.Sequential(
        [
            keras.Input((4, 5, 2)),
            layers.UpSampling2D((2, 3), interpolation="bilinear"),
            layers.Conv2D(3, 3, activation="tanh"),
            layers.UpSampling2D(3, interpolation="bilinear"),
            layers.UpSampling2D((2, 1)),
            layers.Conv2D(2, 3, strides=2),
            layers.UpSampling2D((1, 2), interpolation="bicubic"),
        ],
        name="upsampling",
    )
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(8, 4, 5, 2)).astype("float32")
    model.fit(x, rng.normal(size=(8,) + model.output_shape[1:]), batch_size=4, epochs=1, verbose=0)
    save_all("upsampling", model, [x[:3]])


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(4321)
    rng = np.random.default_rng(4321)
    resize_cases(rng)
    upsampling(rng)


if __name__ == "__main__":
    main()
