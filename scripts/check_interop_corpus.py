#!/usr/bin/env python3
"""Loads, in one Python process, every file keras.cpp re-saved from the
interop corpus (tests/test_interop_corpus.cpp wrote DIR/results.json) and
compares the predictions with the ones the original Keras recorded
(tests/fixtures/interop/<writer>/io.h5), 1e-5 relative as the C++ test
(against max(|y|, 10 % of the output's largest |y|)).

Keras 3 reads the Keras 3 forms (<stem>.resaved.keras, <stem>.resaved.h5);
tf.keras 2 reads the tf.keras-2-compatible form (<stem>.resaved_tf2.h5).
Verdicts go to DIR/readback_<keras3|tf2>.json; the exit status is 1 when any failed.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/check_interop_corpus.py DIR
    /tmp/tf2/bin/python scripts/check_interop_corpus.py DIR
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

try:
    import tensorflow as tf  # noqa: E402

    if not tf.__version__.startswith("2."):
        raise ImportError
    K, TAG, VERSION, FORMS = tf.keras, "tf2", tf.__version__, [".resaved_tf2.h5"]
except ImportError:
    import keras as K  # noqa: E402

    TAG, VERSION, FORMS = "keras3", K.__version__, [".resaved.keras", ".resaved.h5"]


def max_rel_error(got, want, floor=0.1):
    if len(got) != len(want):
        return float("inf")
    worst = 0.0
    for g, w in zip(got, want):
        g, w = np.asarray(g, "float64"), np.asarray(w, "float64")
        if g.shape != w.shape:
            return float("inf")
        denom = np.maximum(np.maximum(np.abs(w), floor * np.max(np.abs(w), initial=0.0)), 1e-12)
        e = np.max(np.abs(g - w) / denom, initial=0.0)
        worst = max(worst, float(e) if np.isfinite(e) else float("inf"))
    return worst


def main(directory):
    results = json.load(open(os.path.join(directory, "results.json")))
    ios = {}
    verdicts = []
    for row in results["files"]:
        stem = row.get("resaved_stem")
        if not stem:
            continue
        writer = row["writer"]
        if writer not in ios:
            ios[writer] = h5py.File(os.path.join(results["corpus"], writer, "io.h5"), "r")
        g = ios[writer][row["model"]]
        xs = [g[f"x{i}"][()] for i in range(len([k for k in g if k.startswith("x")]))]
        ys = [g[f"y{i}"][()] for i in range(len([k for k in g if k.startswith("y")]))]
        for form in FORMS:
            path = stem + form
            v = {"writer": writer, "model": row["model"], "source": row["file"], "form": form,
                 "file": os.path.basename(path)}
            if not os.path.exists(path):
                refused = row.get("forms", {}).get(form, {}).get("refused", False)
                if refused:  # keras.cpp refused this form with a clear error: nothing to read
                    continue
                v.update(ok=False, missing=True, error="keras.cpp did not write it")
                verdicts.append(v)
                continue
            try:
                m = K.models.load_model(path, compile=True)
                out = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
                out = list(out) if isinstance(out, (list, tuple)) else [out]
                err = max_rel_error(out, ys)
                v.update(ok=err <= 1e-5, max_rel_error=err)
                if err > 1e-5:
                    v["error"] = f"predictions differ (max relative error {err:.3g})"
            except Exception as e:  # report and go on
                v.update(ok=False, error=f"{type(e).__name__}: {str(e)[:400]}")
            verdicts.append(v)
            print(f"{TAG} {'ok  ' if v['ok'] else 'FAIL'} {writer}/{v['file']} {v.get('error', '')}")
    out = {"reader": TAG, "keras_version": VERSION, "files": verdicts}
    with open(os.path.join(directory, f"readback_{TAG}.json"), "w") as f:
        json.dump(out, f, indent=1)
    failed = sum(not v["ok"] for v in verdicts)
    print(f"check_interop_corpus ({TAG} {VERSION}): {len(verdicts) - failed} of {len(verdicts)} files read back")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
