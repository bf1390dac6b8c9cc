#!/usr/bin/env python3
"""Golden values for the losses and metrics from real Keras 3 (jax backend).

Writes tests/fixtures/losses/loss_metric_goldens.json: for each loss case the
inputs, the Keras config, the reduced value and jax.grad of the (summed)
value with respect to y_pred; for each metric case the inputs of two
update_state calls, the result after them and the result after reset_state.
Everything is float32, as Keras computes it.

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_loss_metric_goldens.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "losses",
                   "loss_metric_goldens.json")
rng = np.random.default_rng(1234)


def f32(x):
    return np.asarray(x, dtype="float32")


def flat(x):
    return [float(v) for v in np.asarray(x, dtype="float64").ravel()]


def onehot(n, c):
    return f32(np.eye(c)[rng.integers(0, c, size=n)])


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return f32(e / e.sum(-1, keepdims=True))


N, C = 4, 3
normal = lambda: f32(rng.normal(size=(N, C)))  # noqa: E731
unif = lambda lo=0.05, hi=0.95: f32(rng.uniform(lo, hi, size=(N, C)))  # noqa: E731
binary = lambda: f32(rng.integers(0, 2, size=(N, C)))  # noqa: E731
sw = f32([0.5, 1.0, 2.0, 0.0])


def loss_cases():
    return [
        ("MeanAbsolutePercentageError", {}, unif(0.5, 2.0), normal(), None),
        ("MeanAbsolutePercentageError", {"reduction": "sum"}, unif(0.5, 2.0), normal(), sw),
        ("MeanSquaredLogarithmicError", {}, unif(0.0, 3.0), unif(0.0, 3.0), sw),
        ("MeanSquaredLogarithmicError", {"reduction": "none"}, unif(0.0, 3.0), unif(0.0, 3.0), None),
        ("Huber", {"delta": 0.7}, normal(), normal(), sw),
        ("Huber", {"reduction": "mean_with_sample_weight"}, normal(), normal(), sw),
        ("LogCosh", {"reduction": "none"}, normal(), normal(), sw),
        ("LogCosh", {"reduction": "mean"}, normal(), 3 * normal(), None),
        ("Hinge", {}, binary(), normal(), sw),
        ("Hinge", {"reduction": "sum"}, 2 * binary() - 1, normal(), None),
        ("SquaredHinge", {}, 2 * binary() - 1, normal(), sw),
        ("SquaredHinge", {"reduction": "none"}, binary(), normal(), None),
        ("CategoricalHinge", {}, onehot(N, C), normal(), sw),
        ("KLDivergence", {}, softmax(normal()), softmax(normal()), sw),
        ("KLDivergence", {"reduction": "sum"}, binary(), unif(), None),
        ("Poisson", {}, unif(0.0, 3.0), unif(0.1, 3.0), sw),
        ("CosineSimilarity", {}, normal(), normal(), sw),
        ("CosineSimilarity", {"axis": 0, "reduction": "none"}, normal(), normal(), None),
        ("BinaryFocalCrossentropy", {}, binary(), unif(), None),
        ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                     "label_smoothing": 0.1}, binary(), unif(), sw),
        ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0, "reduction": "sum"}, binary(), normal(),
         sw),
        ("CategoricalFocalCrossentropy", {}, onehot(N, C), softmax(normal()), sw),
        ("CategoricalFocalCrossentropy", {"alpha": 0.3, "gamma": 2.5, "label_smoothing": 0.2,
                                          "from_logits": True, "reduction": "none"}, onehot(N, C), normal(), None),
        ("Dice", {}, binary(), unif(), None),
        ("Dice", {"axis": [1]}, binary(), unif(), sw),
        ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": [1]}, binary(), unif(), sw),
        ("Tversky", {}, binary(), unif(), None),
    ]


def loss_entry(cls, cfg, yt, yp, w):
    loss = getattr(keras.losses, cls)(**cfg)
    wj = None if w is None else jnp.asarray(w)

    def f(p):
        return jnp.sum(loss(jnp.asarray(yt), p, sample_weight=wj))

    value = np.asarray(loss(jnp.asarray(yt), jnp.asarray(yp), sample_weight=wj))
    grad = np.asarray(jax.grad(f)(jnp.asarray(yp)))
    return {"class_name": cls, "config": cfg, "shape": list(yt.shape), "y_true": flat(yt), "y_pred": flat(yp),
            "sample_weight": None if w is None else flat(w), "value": flat(value),
            "value_shape": list(value.shape), "grad": flat(grad), "keras_config": loss.get_config()}


def compiled_model_files():
    """A two-output model compiled with new losses and metrics, saved by Keras
    as .keras and .h5; returns the compile config Keras reports for it."""
    keras.backend.clear_session()  # plain metric names ("auc", not "auc_9")
    keras.utils.set_random_seed(3)
    x = keras.Input((4,), name="x")
    probs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    reg = keras.layers.Dense(2, name="reg")(x)
    model = keras.Model(x, [probs, reg], name="loss_metric_model")
    model.compile(
        optimizer="adam",
        loss=[keras.losses.CategoricalFocalCrossentropy(alpha=0.4, gamma=3.0),
              keras.losses.Huber(delta=0.5, reduction="sum")],
        metrics=[[keras.metrics.AUC(curve="PR", num_thresholds=50), keras.metrics.Precision(top_k=2),
                  "top_k_categorical_accuracy"],
                 [keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score(), "mape"]])
    xs = f32(rng.normal(size=(8, 4)))
    model.fit(xs, [onehot(8, 3), f32(rng.normal(size=(8, 2)))], epochs=1, verbose=0)
    base = os.path.join(os.path.dirname(OUT), "keras_compiled")
    model.save(base + ".keras")
    model.save(base + ".h5")
    return json.loads(json.dumps(model.get_compile_config(), default=lambda o: np.asarray(o).tolist()))


def main():
    out = {"keras_version": keras.__version__, "losses": [loss_entry(*c) for c in loss_cases()]}
    out["metrics"] = metric_cases()
    out["compiled_model"] = compiled_model_files()
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print("wrote", os.path.normpath(OUT), len(out["losses"]), "losses", len(out["metrics"]), "metrics")


def mbatch(kind, n=6, c=3):
    """One (y_true, y_pred, sample_weight) batch of the given kind."""
    w = f32(rng.uniform(0.2, 2.0, size=(n,)))
    if kind == "binary":
        return f32(rng.integers(0, 2, size=(n, c))), f32(rng.uniform(0, 1, size=(n, c))), w
    if kind == "binlogit":
        return f32(rng.integers(0, 2, size=(n, c))), f32(rng.normal(size=(n, c))), w
    if kind == "onehot":
        return onehot(n, c), softmax(f32(rng.normal(size=(n, c)))), w
    if kind == "sparse":
        return f32(rng.integers(0, c, size=(n,))), softmax(f32(rng.normal(size=(n, c)))), w
    if kind == "positive":
        return f32(rng.uniform(0.5, 3, size=(n, c))), f32(rng.uniform(0.1, 3, size=(n, c))), w
    if kind == "probs":
        return softmax(f32(rng.normal(size=(n, c)))), softmax(f32(rng.normal(size=(n, c)))), w
    return f32(rng.normal(size=(n, c))), f32(rng.normal(size=(n, c))), w


METRIC_CASES = [
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.6, 0.8]}, "binary"),
    ("Precision", {"top_k": 2}, "binary"),
    ("Precision", {"class_id": 1, "thresholds": 0.4}, "binary"),
    ("Recall", {}, "binary"),
    ("Recall", {"class_id": 1}, "binary"),
    ("Recall", {"top_k": 1, "class_id": 2}, "binary"),
    ("Recall", {"thresholds": [0.2, 0.7]}, "binary"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring", "num_thresholds": 50}, "binary"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 20}, "binary"),
    ("AUC", {"from_logits": True}, "binlogit"),
    ("AUC", {"multi_label": True}, "binary"),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [0.2, 1.0, 0.5]}, "binary"),
    ("AUC", {"label_weights": [0.2, 1.0, 0.5]}, "binary"),
    ("AUC", {"thresholds": [0.2, 0.5, 0.7]}, "binary"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot5"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse5"),
    ("RootMeanSquaredError", {}, "regress"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("LogCoshError", {}, "regress"),
    ("Hinge", {}, "binary"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "onehot"),
    ("KLDivergence", {}, "probs"),
    ("Poisson", {}, "positive"),
    ("CosineSimilarity", {}, "regress"),
    ("F1Score", {}, "binary"),
    ("F1Score", {"average": "micro"}, "binary"),
    ("F1Score", {"average": "macro", "threshold": 0.4}, "binary"),
    ("F1Score", {"average": "weighted"}, "binary"),
    ("FBetaScore", {"average": "macro", "beta": 2.0, "threshold": 0.5}, "binary"),
    ("FBetaScore", {"beta": 0.5}, "binary"),
    ("R2Score", {}, "regress"),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2}, "regress"),
    ("R2Score", {"class_aggregation": None}, "regress"),
    ("Sum", {}, "regress"),
]


def values(x):
    a = np.atleast_1d(np.asarray(x, dtype="float64")).ravel()
    return [None if not np.isfinite(v) else float(v) for v in a]


def metric_cases():
    out = []
    for cls, cfg, kind in METRIC_CASES:
        c = 5 if kind.endswith("5") else 3
        kind = kind.rstrip("5")
        batches = [mbatch(kind, c=c) for _ in range(2)]
        m = getattr(keras.metrics, cls)(**cfg)
        entry = {"class_name": cls, "config": cfg, "batches": []}
        for i, (yt, yp, w) in enumerate(batches):
            # the first batch without weights, the second with
            if cls == "Sum":  # Sum.update_state(values, sample_weight): our update_state sums y_pred
                m.update_state(yp, sample_weight=None if i == 0 else w)
            else:
                m.update_state(yt, yp, sample_weight=None if i == 0 else w)
            entry["batches"].append({"shape_true": list(yt.shape), "shape_pred": list(yp.shape), "y_true": flat(yt),
                                     "y_pred": flat(yp), "sample_weight": None if i == 0 else flat(w)})
        entry["result"] = values(m.result())
        m.reset_state()
        entry["after_reset"] = values(m.result())
        cfgk = m.get_config()
        cfgk.pop("dtype", None)
        entry["keras_config"] = json.loads(json.dumps(cfgk, default=lambda o: np.asarray(o).tolist()))
        out.append(entry)
    return out


if __name__ == "__main__":
    main()
