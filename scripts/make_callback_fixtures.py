#!/usr/bin/env python3
"""Golden behaviour of Keras 3's callbacks on scripted logs, for
tests/test_callbacks_keras.cpp.

Each case drives one real Keras callback through a fake fit loop (a tiny
built model whose kernel is set to the epoch number before each epoch end,
so restored weights tell which epoch they came from) with scripted epoch
and batch logs, and records what Keras does: the epochs run, the stopped
and restored epochs, the learning rate after each epoch, the logs' added
keys, the files written and the CSV text. Also str.format / repr results
for the file-name templates.

    KERAS_BACKEND=jax python scripts/make_callback_fixtures.py
writes tests/fixtures/callbacks/keras_callbacks.json.
"""
import json
import math
import os
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "callbacks", "keras_callbacks.json")


def enc(v):  # JSON has no NaN / inf
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def dec(v):
    return float(v) if isinstance(v, str) else v


def make_model(lr):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=lr), "mse", metrics=["accuracy"])
    model.evaluate(np.zeros((1, 2)), np.zeros((1, 1)), verbose=0)  # builds the metrics ("auto" mode reads them)
    return model


SCHEDULES = {
    "halve_from_2": lambda epoch, lr: lr * 0.5 if epoch >= 2 else lr,
    "by_epoch": lambda epoch, lr: 0.1 / (epoch + 1),
}


def make_callback(kind, args, tmp):
    args = dict(args)
    if kind == "EarlyStopping":
        return keras.callbacks.EarlyStopping(**args)
    if kind == "ReduceLROnPlateau":
        return keras.callbacks.ReduceLROnPlateau(**args)
    if kind == "LearningRateScheduler":
        return keras.callbacks.LearningRateScheduler(SCHEDULES[args["schedule"]])
    if kind == "ModelCheckpoint":
        return keras.callbacks.ModelCheckpoint(os.path.join(tmp, args.pop("filepath")), **args)
    if kind == "CSVLogger":
        return keras.callbacks.CSVLogger(os.path.join(tmp, "log.csv"), **args)
    if kind == "TerminateOnNaN":
        return keras.callbacks.TerminateOnNaN(**args)
    raise ValueError(kind)


def run(case):
    """Drives the callback; returns what it did."""
    tmp = tempfile.mkdtemp()
    model = make_model(case.get("lr", 0.01))
    out = {"epochs_run": [], "lr": [], "logs_learning_rate": [], "files": [], "csv": []}
    for run_i in range(case.get("runs", 1)):
        cb = make_callback(case["callback"], case["args"], tmp)
        cb.set_model(model)
        cb.set_params({"epochs": len(case["epoch_logs"]), "steps": case.get("steps", 1), "verbose": 0})
        model.stop_training = False
        cb.on_train_begin()
        for epoch, logs in enumerate(case["epoch_logs"]):
            out["epochs_run"].append(epoch)
            cb.on_epoch_begin(epoch)
            for b, blogs in enumerate(case.get("batch_logs", [[]] * len(case["epoch_logs"]))[epoch]):
                cb.on_train_batch_begin(b)
                cb.on_train_batch_end(b, {k: dec(v) for k, v in blogs.items()})
                if model.stop_training:
                    break
            model.set_weights([np.full(w.shape, epoch + 1, w.dtype) for w in model.get_weights()])
            logs = {k: dec(v) for k, v in logs.items()}
            cb.on_epoch_end(epoch, logs)
            out["lr"].append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
            out["logs_learning_rate"].append(logs.get("learning_rate"))
            if model.stop_training:
                break
        cb.on_train_end()
        if case["callback"] == "CSVLogger":
            with open(os.path.join(tmp, "log.csv"), newline="") as f:
                out["csv"].append(f.read())
    out["files"] = sorted(os.listdir(tmp))
    out["restored_epoch"] = float(model.get_weights()[0].flat[0]) - 1
    out["stopped_epoch"] = getattr(cb, "stopped_epoch", None)
    out["best_epoch"] = getattr(cb, "best_epoch", None)
    return out


def val_loss(values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


CASES = [
    {"name": "es_default", "callback": "EarlyStopping", "args": {}, "epoch_logs": val_loss([1.0, 0.9, 0.95, 0.8])},
    {"name": "es_patience_min_delta", "callback": "EarlyStopping", "args": {"patience": 2, "min_delta": 0.05},
     "epoch_logs": val_loss([1.0, 0.97, 0.93, 0.92, 0.91, 0.85, 0.86, 0.9, 0.7])},
    {"name": "es_max", "callback": "EarlyStopping", "args": {"monitor": "val_accuracy", "mode": "max", "patience": 1},
     "epoch_logs": [{"val_accuracy": v} for v in [0.5, 0.6, 0.6, 0.7, 0.65, 0.64, 0.9]]},
    {"name": "es_auto_accuracy", "callback": "EarlyStopping", "args": {"monitor": "accuracy", "patience": 1},
     "epoch_logs": [{"accuracy": v, "loss": 1.0} for v in [0.5, 0.6, 0.55, 0.58, 0.7]]},
    {"name": "es_baseline", "callback": "EarlyStopping", "args": {"baseline": 0.5, "patience": 2},
     "epoch_logs": val_loss([0.9, 0.8, 0.7, 0.6, 0.4, 0.3])},
    {"name": "es_restore", "callback": "EarlyStopping", "args": {"patience": 2, "restore_best_weights": True},
     "epoch_logs": val_loss([1.0, 0.8, 0.9, 0.85, 0.95, 0.7])},
    {"name": "es_restore_not_stopped", "callback": "EarlyStopping",
     "args": {"patience": 5, "restore_best_weights": True}, "epoch_logs": val_loss([1.0, 0.6, 0.9, 0.85])},
    {"name": "es_start_from_epoch", "callback": "EarlyStopping", "args": {"start_from_epoch": 2},
     "epoch_logs": val_loss([1.0, 1.1, 1.2, 1.3, 1.25, 1.4])},
    {"name": "es_missing_monitor", "callback": "EarlyStopping", "args": {},
     "epoch_logs": [{"loss": v} for v in [1.0, 1.1, 1.2]]},
    {"name": "rlr_basic", "callback": "ReduceLROnPlateau", "args": {"patience": 2, "factor": 0.5},
     "epoch_logs": val_loss([1.0, 1.0, 1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95])},
    {"name": "rlr_cooldown_min_lr", "callback": "ReduceLROnPlateau",
     "args": {"patience": 1, "factor": 0.2, "cooldown": 2, "min_lr": 0.0005, "min_delta": 0.01},
     "epoch_logs": val_loss([1.0, 0.995, 0.99, 0.98, 0.975, 0.97, 0.96, 0.96, 0.96, 0.96, 0.96])},
    {"name": "rlr_max", "callback": "ReduceLROnPlateau",
     "args": {"monitor": "val_accuracy", "mode": "max", "patience": 1, "factor": 0.1},
     "epoch_logs": [{"val_accuracy": v} for v in [0.5, 0.6, 0.6, 0.6, 0.7, 0.7]]},
    {"name": "lrs_halve", "callback": "LearningRateScheduler", "args": {"schedule": "halve_from_2"},
     "epoch_logs": val_loss([1.0] * 5)},
    {"name": "lrs_by_epoch", "callback": "LearningRateScheduler", "args": {"schedule": "by_epoch"},
     "epoch_logs": val_loss([1.0] * 4)},
    {"name": "mc_best_weights", "callback": "ModelCheckpoint",
     "args": {"filepath": "ckpt-{epoch:02d}-{val_loss:.3f}.weights.h5", "save_best_only": True,
              "save_weights_only": True},
     "epoch_logs": val_loss([1.0, 0.8, 0.9, 0.7, 0.75, 0.69999])},
    {"name": "mc_all_epochs", "callback": "ModelCheckpoint",
     "args": {"filepath": "m{epoch}_{loss:.2e}.weights.h5", "save_weights_only": True},
     "epoch_logs": [{"loss": v} for v in [1.5, 0.25, 0.125]]},
    {"name": "mc_max_threshold", "callback": "ModelCheckpoint",
     "args": {"filepath": "acc-{epoch:03d}-{val_accuracy:.4f}.weights.h5", "monitor": "val_accuracy",
              "mode": "max", "save_best_only": True, "save_weights_only": True,
              "initial_value_threshold": 0.65},
     "epoch_logs": [{"val_accuracy": v} for v in [0.5, 0.6, 0.7, 0.68, 0.8]]},
    {"name": "mc_batches", "callback": "ModelCheckpoint",
     "args": {"filepath": "b-{epoch}-{batch}-{loss:.4f}.weights.h5", "save_freq": 3, "save_weights_only": True},
     "steps": 4, "epoch_logs": [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.25}],
     "batch_logs": [[{"loss": 1.0 + 0.1 * (4 * e + b)} for b in range(4)] for e in range(3)]},
    {"name": "csv_train_only", "callback": "CSVLogger", "args": {},
     "epoch_logs": [{"loss": 0.5, "accuracy": 0.125}, {"loss": 0.1 + 0.2, "accuracy": 1e-5},
                    {"loss": 12345678.9, "accuracy": 1e16}]},
    {"name": "csv_with_val_sep", "callback": "CSVLogger", "args": {"separator": ";"},
     "epoch_logs": [{"loss": 0.6931471824645996, "val_loss": 0.7, "learning_rate": 0.0010000000474974513,
                     "val_accuracy": 0.5, "accuracy": 0.25}, {"loss": 0.4, "val_loss": "nan", "accuracy": 0.75}]},
    {"name": "csv_append", "callback": "CSVLogger", "args": {"append": True}, "runs": 2,
     "epoch_logs": [{"loss": 0.5, "val_loss": 0.25}, {"loss": 0.4, "val_loss": 0.2}]},
    {"name": "nan_stop", "callback": "TerminateOnNaN", "args": {}, "steps": 3,
     "epoch_logs": [{"loss": 1.0}, {"loss": 1.0}, {"loss": 1.0}],
     "batch_logs": [[{"loss": 1.0}] * 3, [{"loss": 1.0}, {"loss": "nan"}, {"loss": 1.0}], [{"loss": 1.0}] * 3]},
]

FORMATS = [
    ("ckpt-{epoch:02d}-{val_loss:.3f}.keras", {"epoch": 7}, {"val_loss": 0.123456}),
    ("{epoch}-{loss}", {"epoch": 12}, {"loss": 0.1}),
    ("{loss:.2e}|{loss:e}|{loss:g}|{loss:.3}|{loss:.3g}|{loss:%}|{loss:.1%}", {}, {"loss": 0.000123456}),
    ("{x:.3}|{x:.2}|{x:.10}|{x:g}|{x}|{x:.0f}|{x:.0e}", {}, {"x": 123.0}),
    ("{e:>5}|{e:<5}|{e:^5}|{e:*^6}|{e:+d}|{e: d}|{e:05d}|{e:,}|{e:_}", {"e": 1234}, {}),
    ("{v:08.3f}|{v:+.2f}|{v:=+10.2f}|{v:,.2f}|{v:10.4g}|{v:<10.1f}end", {}, {"v": -4321.98765}),
    ("{{literal}} {epoch:d} {epoch:.2f} {epoch:e}", {"epoch": 3}, {}),
    ("{big}|{small}|{third}|{tiny:.3}|{neg0}", {}, {"big": 1e22, "small": 1.5e-7, "third": 1 / 3, "tiny": 1e-300,
                                                 "neg0": -0.0}),
    ("{a:.3f}-{a:.1f}-{b:.0f}-{c:.2f}", {}, {"a": 2.0005, "b": 0.5, "c": 1.005}),
]
REPRS = [0.1, 1e-05, 0.0001, 3.0, 1e16, 1e15, 123456789012345678.0, 0.30000000000000004, 2.5e-310, -1.25,
         0.6931471824645996, 0.0010000000474974513, 1.7976931348623157e308, 5e-324, 100.0, 1234.5678]


def main():
    cases = []
    for case in CASES:
        case = dict(case)
        case["expected"] = run(case)
        case["expected"]["logs_learning_rate"] = [enc(v) for v in case["expected"]["logs_learning_rate"]]
        cases.append(case)
    formats = [{"pattern": p, "ints": i, "floats": f, "expected": p.format(**i, **f)} for p, i, f in FORMATS]
    reprs = [{"value": v, "expected": repr(v)} for v in REPRS]
    with open(OUT, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases, "formats": formats, "reprs": reprs}, f,
                  indent=1)
    print(f"wrote {OUT}: {len(cases)} cases, {len(formats)} formats, {len(reprs)} reprs")


if __name__ == "__main__":
    main()
