#!/usr/bin/env python3
"""Builds tests/fixtures/data/goldens.json with real tf.data and tf.keras 2.15
(`pip install tensorflow-cpu==2.15.1`): the elements of deterministic
pipelines, their cardinalities, timeseries_dataset_from_array with
non-default arguments, pad_sequences and split_dataset.

    /tmp/tf2/bin/python scripts/make_data_fixtures.py

tests/test_data_golden.cpp builds each pipeline again with keras::data and
compares every element. Shuffling is not compared (tf's random generator is
not ours); the tests check it by its permutation properties instead.
"""
import json
import os

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data")


def comp(t):
    a = np.asarray(t)
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.reshape(-1).tolist()}


def elements(ds):
    out = []
    for e in ds:
        parts = e if isinstance(e, tuple) else (e,)
        out.append([comp(p) for p in parts])
    return out


def card(ds):
    return int(ds.cardinality().numpy())


def x10():
    return np.arange(30, dtype="float32").reshape(10, 3)


def y10():
    return np.arange(10, dtype="int64") * 7


def ragged():
    seqs = [[1], [2, 3, 4], [5, 6], [7, 8, 9, 10], [11, 12]]

    def gen():
        for s in seqs:
            yield np.array(s, dtype="int64"), np.int64(len(s))

    sig = (tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int64))
    return tf.data.Dataset.from_generator(gen, output_signature=sig)


def pipelines():
    D = tf.data.Dataset
    xy = D.from_tensor_slices((x10(), y10()))
    r = D.range
    return {
        "batch4": xy.batch(4),
        "batch4_drop": xy.batch(4, drop_remainder=True),
        "map_batch3": xy.map(lambda x, y: (x * 2.0 + 1.0, y + 1)).batch(3),
        "map_parallel": xy.map(lambda x, y: (x * 2.0 + 1.0, y + 1), num_parallel_calls=3).batch(3),
        "filter": r(20).filter(lambda v: v % 3 == 0),
        "unbatch": xy.batch(4).unbatch(),
        "padded": ragged().padded_batch(2),
        "padded_shapes": ragged().padded_batch(2, padded_shapes=([5], []), padding_values=(np.int64(-1), np.int64(0))),
        "repeat_take_skip": r(5).repeat(2).take(7).skip(2),
        "zip": D.zip((r(5), r(10, 20))),
        "concatenate": r(3).concatenate(r(5, 7)),
        "take_all": r(4).take(-1),
        "skip_all": r(4).skip(-1),
        "range_step": r(10, 1, -3),
        "batch_repeat": r(5).batch(2).repeat(2),
        "cache": r(6).map(lambda v: v * v).cache(),
        "prefetch": xy.batch(3).prefetch(2),
    }


def cardinalities():
    D = tf.data.Dataset
    r = D.range
    inf = r(3).repeat()
    return {
        "range10": card(r(10)),
        "repeat_inf": card(inf),
        "repeat3": card(r(4).repeat(3)),
        "empty_repeat": card(r(0).repeat()),
        "filter": card(r(10).filter(lambda v: v > 2)),
        "filter_inf": card(inf.filter(lambda v: v > 0)),
        "unbatch": card(r(10).batch(2).unbatch()),
        "take_inf": card(inf.take(5)),
        "skip_inf": card(inf.skip(5)),
        "take_more": card(r(3).take(10)),
        "skip_more": card(r(3).skip(10)),
        "batch3": card(r(10).batch(3)),
        "batch3_drop": card(r(10).batch(3, drop_remainder=True)),
        "batch_inf": card(inf.batch(3)),
        "zip_inf": card(D.zip((inf, r(4)))),
        "concat_inf": card(r(2).concatenate(inf)),
        "generator": card(ragged()),
        "generator_take": card(ragged().take(3)),
        "filter_take": card(r(10).filter(lambda v: v > 2).take(3)),
        "shuffle": card(r(7).shuffle(3)),
        "map": card(r(7).map(lambda v: v)),
    }


def timeseries():
    data = np.arange(80, dtype="float32").reshape(40, 2)
    targets = np.arange(40, dtype="int64") * 10
    ts = tf.keras.utils.timeseries_dataset_from_array
    return {
        "targets": elements(ts(data, targets, sequence_length=5, sequence_stride=2, sampling_rate=3,
                               batch_size=4, start_index=3, end_index=35)),
        "no_targets": elements(ts(data, None, sequence_length=4, sequence_stride=3, sampling_rate=2,
                                  batch_size=3)),
        "unbatched": elements(ts(data[:, 0], None, sequence_length=6, sequence_stride=5, batch_size=None,
                                 start_index=2)),
    }


def pad():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [], [11]]
    ps = tf.keras.preprocessing.sequence.pad_sequences
    out = {}
    for padding in ("pre", "post"):
        for trunc in ("pre", "post"):
            out[f"{padding}_{trunc}"] = comp(ps(seqs, maxlen=4, padding=padding, truncating=trunc, value=-1))
    out["default"] = comp(ps(seqs))
    out["float"] = comp(ps([[1.5, 2.25], [3.75]], maxlen=3, dtype="float32", value=0.5))
    return out


def split():
    sd = tf.keras.utils.split_dataset
    D = tf.data.Dataset
    out = {}
    def xy(n):  # (x, y) tuples: tf.keras 2.15 and Keras 3 restore those alike
        return D.from_tensor_slices((np.arange(2 * n, dtype="int64").reshape(n, 2), np.arange(n, dtype="int64")))

    for name, ds, left, right in (
        ("frac", xy(10), 0.7, None),
        ("counts", xy(10), 3, 4),
        ("right_only", xy(9), None, 0.25),
        ("batched", xy(11).batch(3), 0.5, None),
    ):
        a, b = sd(ds, left_size=left, right_size=right)
        out[name] = {"left": elements(a), "right": elements(b)}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    g = {
        "versions": {"tensorflow": tf.__version__},
        "pipelines": {k: elements(v) for k, v in pipelines().items()},
        "cardinality": cardinalities(),
        "timeseries": timeseries(),
        "pad_sequences": pad(),
        "split_dataset": split(),
    }
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(g, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
