#!/usr/bin/env python3
"""Writes small data set files in the exact formats Keras reads, and what
Keras's own loaders return on them, under tests/fixtures/datasets/.

  keras_home/datasets/   mnist.npz, boston_housing.npz, california_housing.npz
                         (np.savez / np.savez_compressed), imdb.npz (np.savez
                         of object arrays: pickle protocol 4 inside .npy),
                         reuters.npz (.npy header by NumPy, pickle protocol 2 as
                         Python 2 wrote it),
                         the word index JSON files, and the CIFAR folders
                         cifar-10-batches-py-target/cifar-10-batches-py/ and
                         cifar-100-python/ (dicts pickled as Python 2 wrote
                         them: protocol 2, byte-string keys and data)
  binary_home/datasets/  cifar-10-batches-bin/ and cifar-100-binary/ records
  pickles/               p2.pkl, p3.pkl, p4.pkl (one object, three protocols),
                         codecs.pkl (bytes pickled by Python 3 at protocol 2,
                         which Keras refuses) and npy/ (.npy variants)
  golden.json            Keras's load_data outputs for imdb, reuters,
                         boston_housing and california_housing with several
                         argument sets, read from keras_home through
                         KERAS_HOME as Keras resolves it

CIFAR pixels follow pixel(image i, channel c, position p) = (i*37 + c*11 + p) % 256
(i counts across all batches of a split); Keras's cifar.load_batch is run on every
pickled file to check that it reads them and sees those values.

    ~/.cache/keras.cpp/venv/bin/python scripts/make_dataset_fixtures.py
"""
import io
import json
import os
import pickle
import shutil
import struct
import sys
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "datasets")
HOME = os.path.join(OUT, "keras_home")
os.environ["KERAS_HOME"] = HOME  # read by keras at import
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402

DS = os.path.join(HOME, "datasets")
BIN = os.path.join(OUT, "binary_home", "datasets")


class Py2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2's cPickle wrote it: byte strings are str
    (SHORT_BINSTRING / BINSTRING), not _codecs.encode calls."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_dumps(obj):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    # NumPy 2 names its module numpy._core; the CIFAR files name numpy.core.
    return buf.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def pixels(first, n):
    i = np.arange(first, first + n).reshape(n, 1, 1)
    c = np.arange(3).reshape(1, 3, 1)
    p = np.arange(1024).reshape(1, 1, 1024)
    return ((i * 37 + c * 11 + p) % 256).astype(np.uint8).reshape(n, 3072)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def cifar10_files():
    py = os.path.join(DS, "cifar-10-batches-py-target", "cifar-10-batches-py")
    names = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
    counts = [1, 1, 1, 2, 1, 2]  # images per file
    first = 0
    for name, n in zip(names, counts):
        if name == "test_batch":
            first = 0
        labels = [(first + k) % 10 for k in range(n)]
        d = {b"batch_label": b"fixture " + name.encode(), b"labels": labels,
             b"data": pixels(first, n), b"filenames": [b"img_%d.png" % (first + k) for k in range(n)]}
        write(os.path.join(py, name), py2_dumps(d))
        rec = b"".join(bytes([labels[k]]) + pixels(first + k, 1).tobytes() for k in range(n))
        write(os.path.join(BIN, "cifar-10-batches-bin", name + ".bin"), rec)
        first += n
    return py, names


def cifar100_files():
    py = os.path.join(DS, "cifar-100-python")
    for name, n in (("train", 3), ("test", 2)):
        fine = [(7 * k + 3) % 100 for k in range(n)]
        coarse = [f % 20 for f in fine]
        d = {b"filenames": [b"f%d" % k for k in range(n)], b"batch_label": b"fixture",
             b"fine_labels": fine, b"coarse_labels": coarse, b"data": pixels(0, n)}
        write(os.path.join(py, name), py2_dumps(d))
        rec = b"".join(bytes([coarse[k], fine[k]]) + pixels(k, 1).tobytes() for k in range(n))
        write(os.path.join(BIN, "cifar-100-binary", name + ".bin"), rec)
    return py


def check_cifar(py10, names10, py100):
    from keras.src.datasets.cifar import load_batch
    first = 0
    for name in names10:
        if name == "test_batch":
            first = 0
        data, labels = load_batch(os.path.join(py10, name))
        n = data.shape[0]
        assert data.dtype == np.uint8 and data.shape == (n, 3, 32, 32)
        assert (data.reshape(n, 3072) == pixels(first, n)).all()
        assert list(labels) == [(first + k) % 10 for k in range(n)]
        first += n
    for name in ("train", "test"):
        for mode in ("fine", "coarse"):
            data, labels = load_batch(os.path.join(py100, name), label_key=f"{mode}_labels")
            assert (data.reshape(data.shape[0], 3072) == pixels(0, data.shape[0])).all()


def sequences(rng, n, vocab, max_len):
    return [list(map(int, rng.integers(1, vocab, size=int(rng.integers(1, max_len))))) for _ in range(n)]


def object_array(seqs):
    a = np.empty(len(seqs), dtype=object)
    for k, s in enumerate(seqs):
        a[k] = s
    return a


def npy_protocol2(arr):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(arr))
    buf.write(py2_dumps(arr))  # Python 3's protocol 2 would pickle b'b' through _codecs
    return buf.getvalue()


def text_files(rng):
    np.savez(os.path.join(DS, "imdb.npz"),
             x_train=object_array(sequences(rng, 12, 30, 12)), y_train=rng.integers(0, 2, 12),
             x_test=object_array(sequences(rng, 10, 34, 12)), y_test=rng.integers(0, 2, 10))
    with zipfile.ZipFile(os.path.join(DS, "reuters.npz"), "w") as z:
        z.writestr("x.npy", npy_protocol2(object_array(sequences(rng, 25, 40, 14))))
        buf = io.BytesIO()
        np.save(buf, rng.integers(0, 46, 25))
        z.writestr("y.npy", buf.getvalue())
    for name in ("imdb", "reuters"):
        with open(os.path.join(DS, f"{name}_word_index.json"), "w") as f:
            json.dump({"the": 1, "and": 2, "a": 3, f"{name}": 4, "fixture": 5}, f)


def numeric_files(rng):
    np.savez_compressed(os.path.join(DS, "mnist.npz"),
                        x_train=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
                        y_train=np.array([5, 0, 4], dtype=np.uint8),
                        x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
                        y_test=np.array([7, 2], dtype=np.uint8))
    np.savez(os.path.join(DS, "boston_housing.npz"), x=rng.normal(size=(21, 13)) * 10,
             y=rng.uniform(5, 50, 21))
    # More than 600 rows, so that the "small" version differs; few distinct values keep it small.
    np.savez_compressed(os.path.join(DS, "california_housing.npz"),
                        x=rng.integers(0, 4, (610, 8)).astype(np.float32),
                        y=(rng.integers(0, 5, 610) * 1e5).astype(np.float32))


def listed(a):
    return [list(map(int, s)) for s in a]


def golden():
    # Keras checks each cached file's hash and would download on a mismatch;
    # accept the fixtures as they are, keeping Keras's own path resolution.
    from keras.src.utils import file_utils
    file_utils.validate_file = lambda *a, **k: True
    from keras.src.datasets import boston_housing, california_housing, imdb, reuters
    out = {}
    text_cases = [{}, {"num_words": 10}, {"num_words": 12, "skip_top": 3, "maxlen": 9},
                  {"start_char": None, "index_from": 0, "oov_char": None, "num_words": 20, "seed": 7},
                  {"oov_char": None, "skip_top": 5, "index_from": 1, "seed": 0},
                  {"start_char": 9, "oov_char": 4, "maxlen": 11}]
    for mod, extra in ((imdb, []), (reuters, [{"test_split": 0.5, "seed": 2}, {"test_split": 0.0, "maxlen": 6}])):
        cases = []
        for args in text_cases + extra:
            (xt, yt), (xe, ye) = mod.load_data(**args)
            cases.append({"args": args, "x_train": listed(xt), "y_train": yt.tolist(), "y_train_dtype": str(yt.dtype),
                          "x_test": listed(xe), "y_test": ye.tolist(), "y_test_dtype": str(ye.dtype)})
        out[mod.__name__.split(".")[-1]] = cases
    for mod, cases_args in ((boston_housing, [{}, {"test_split": 0.3, "seed": 1}, {"test_split": 0.0}]),
                            (california_housing, [{}, {"version": "small"}, {"version": "small", "test_split": 0.25, "seed": 5}])):
        cases = []
        for args in cases_args:
            (xt, yt), (xe, ye) = mod.load_data(**args)
            case = {"args": args, "y_train": yt.tolist(), "y_test": ye.tolist(),
                    "x_train_shape": list(xt.shape), "x_test_shape": list(xe.shape)}
            if mod is california_housing:
                # Its x values are 0..3: one base-4 number per row names the row exactly.
                key = 4 ** np.arange(8)
                case["x_train_keys"] = (xt @ key).astype(np.int64).tolist()
                case["x_test_keys"] = (xe @ key).astype(np.int64).tolist()
            else:
                case["x_train"] = xt.tolist()
                case["x_test"] = xe.tolist()
            cases.append(case)
        out[mod.__name__.split(".")[-1]] = cases
    from keras.src.datasets import mnist
    (xt, yt), (xe, ye) = mnist.load_data()
    out["mnist"] = {"x_train_sum": int(xt.astype(np.int64).sum()), "x_train_shape": list(xt.shape),
                    "y_train": yt.tolist(), "x_test_first_row": xe[0, 0].tolist(), "y_test": ye.tolist()}
    out["imdb_word_index"] = imdb.get_word_index()
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))


def pickle_files():
    pk = os.path.join(OUT, "pickles")
    os.makedirs(os.path.join(pk, "npy"), exist_ok=True)
    obj = {b"ints": [0, 1, -1, 255, 256, 65535, 65536, -70000, 2**31, 2**40, -2**63, 2**63 - 1],
           "text": "h\u00e9llo", "float": 1.5, "flags": (None, True, False), "nested": [[1, 2], (3,), {}],
           "arr": np.arange(6, dtype="<i4").reshape(2, 3), "big": np.array([[1.0, -2.5]], dtype=">f8"),
           "fortran": np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3)),
           "objects": object_array([[1, 2, 3], [4]])}
    write(os.path.join(pk, "p2.pkl"), py2_dumps(obj))
    for proto in (3, 4):
        write(os.path.join(pk, f"p{proto}.pkl"), pickle.dumps(obj, protocol=proto))
    write(os.path.join(pk, "codecs.pkl"), pickle.dumps(b"xyz", protocol=2))
    write(os.path.join(pk, "global.pkl"), pickle.dumps(os.system, protocol=4))
    arrays = {"u1": np.arange(5, dtype=np.uint8), "i2": np.array([-3, 7], dtype="<i2"),
              "be_i4": np.array([[1, -2], [3, 4]], dtype=">i4"), "f8": np.array([0.5, -1.25]),
              "f2": np.array([1.5, -0.25], dtype=np.float16), "b1": np.array([True, False, True]),
              "u8": np.array([3, 2**40], dtype=np.uint64), "scalar": np.array(3.25, dtype=np.float32),
              "empty": np.zeros((0, 4), dtype=np.int64),
              "fortran": np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4)),
              "objects": object_array([[5, 6], [7, 8, 9], []])}
    for name, a in arrays.items():
        np.save(os.path.join(pk, "npy", name + ".npy"), a, allow_pickle=True)
    v2 = io.BytesIO()
    np.lib.format.write_array(v2, np.arange(3, dtype=np.int64), version=(2, 0))
    write(os.path.join(pk, "npy", "v2.npy"), v2.getvalue())


def main():
    for d in (HOME, os.path.join(OUT, "binary_home"), os.path.join(OUT, "pickles")):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(DS, exist_ok=True)
    rng = np.random.default_rng(20261202)
    py10, names10 = cifar10_files()
    py100 = cifar100_files()
    check_cifar(py10, names10, py100)
    text_files(rng)
    numeric_files(rng)
    pickle_files()
    golden()
    # Keras writes its config file into KERAS_HOME at import; it is no fixture.
    if os.path.exists(os.path.join(HOME, "keras.json")):
        os.remove(os.path.join(HOME, "keras.json"))
    print("wrote", OUT)


if __name__ == "__main__":
    sys.exit(main())
