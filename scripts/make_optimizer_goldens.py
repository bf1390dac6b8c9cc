#!/usr/bin/env python3
"""Golden values for the optimizers from real Keras 3 (jax backend).

Writes tests/fixtures/optimizers/optimizer_goldens.json: two variables of a
Dense layer ("dense/kernel" (3, 2) and "dense/bias" (2,)), four steps of
gradients, and for every optimizer x option set the Keras config, the
variables after each apply() and the optimizer's variables (Keras's order,
names, dtypes, values) after the last step. Everything is float32.
Also writes tests/fixtures/optimizers/resume/: a tiny model per optimizer
trained three steps and saved by Keras (.keras, .h5), with the weights one
more train_on_batch reaches in Keras (next_step.json).

    KERAS_BACKEND=jax ~/.cache/keras.cpp/venv/bin/python scripts/make_optimizer_goldens.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optimizers",
                   "optimizer_goldens.json")
rng = np.random.default_rng(7)
INIT = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
STEPS = 4
GRADS = [[rng.normal(size=v.shape).astype("float32") for v in INIT] for _ in range(STEPS)]

OPTIMIZERS = {
    "SGD": dict(momentum=0.9, nesterov=True),
    "Adam": dict(amsgrad=True),
    "AdamW": {},
    "RMSprop": dict(momentum=0.5, centered=True),
    "Adagrad": {},
    "Adadelta": dict(rho=0.9),
    "Adamax": {},
    "Nadam": {},
    "Lion": {},
    "Ftrl": dict(l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                 l2_shrinkage_regularization_strength=0.03, beta=0.1),
    "Adafactor": {},
}
OPTIONS = {
    "plain": {},
    "weight_decay": dict(weight_decay=0.05),
    "ema": dict(use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2),
    "accumulation": dict(gradient_accumulation_steps=2),
    "loss_scale": dict(loss_scale_factor=4.0),
    "clipnorm": dict(clipnorm=0.5),
    "schedule": dict(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)),
}


def f(x):
    return [float(f"{v:.9g}") for v in np.asarray(x, dtype="float64").reshape(-1)]


def run(cls, args):
    layer = keras.layers.Dense(2, name="dense")
    layer.build((None, 3))
    layer.kernel.assign(INIT[0])
    layer.bias.assign(INIT[1])
    kwargs = dict(learning_rate=0.1)
    kwargs.update(args)
    if cls == "AdamW" and "weight_decay" not in args:
        kwargs["weight_decay"] = 0.004
    opt = getattr(keras.optimizers, cls)(**kwargs)
    variables = [layer.kernel, layer.bias]
    after = []
    for g in GRADS:
        opt.apply([keras.ops.convert_to_tensor(x) for x in g], variables)
        after.append([f(v.numpy()) for v in variables])
    state = [{"name": v.name, "dtype": str(v.dtype), "shape": list(v.shape), "value": f(v.numpy())}
             for v in opt.variables]
    return {"config": keras.optimizers.serialize(opt), "after": after, "state": state}


def main():
    cases = []
    for cls, extra in OPTIMIZERS.items():
        for opt_name, opt_args in OPTIONS.items():
            for variant, args in (("default", {}), ("args", extra)):
                if variant == "args" and (not extra or opt_name != "plain"):
                    continue
                a = dict(args)
                a.update(opt_args)
                c = run(cls, a)
                c["name"] = f"{cls}/{opt_name}" + ("/args" if variant == "args" else "")
                cases.append(c)
    out = {"init": [f(v) for v in INIT], "shapes": [list(v.shape) for v in INIT],
           "grads": [[f(x) for x in g] for g in GRADS], "cases": cases}
    with open(OUT, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {OUT}")


# ---- resume fixtures (three optimizers, to keep the files few; every
# optimizer is checked both ways by scripts/check_optimizer_resume.py from
# tests/test_optimizers_files.cpp): a tiny model trained 3 steps in Keras, saved as .keras
# and .h5 (Adafactor: .keras only, its per-variable "kernel"/"bias" factors
# share one name, which Keras's .h5 writer refuses), and the weights after one
# more train_on_batch in Keras.
RESUME = {
    "Nadam": dict(use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=3, weight_decay=0.05),
    "Ftrl": dict(gradient_accumulation_steps=2, l1_regularization_strength=0.001),
    "Adafactor": dict(use_ema=True),
}
RESUME_DIR = os.path.join(os.path.dirname(OUT), "resume")


def resume_model(cls, args):
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")], name="tiny")
    # Not jitted: Keras 3.15's jitted jax step with gradient accumulation
    # fails ("Attempt to donate the same buffer twice").
    m.compile(getattr(keras.optimizers, cls)(learning_rate=0.05, **args), keras.losses.MeanSquaredError(),
              jit_compile=False)
    return m


def write_resume_fixtures():
    os.makedirs(RESUME_DIR, exist_ok=True)
    r = np.random.default_rng(11)
    x = r.normal(size=(6, 3)).astype("float32")
    y = r.normal(size=(6, 2)).astype("float32")
    xb = r.normal(size=(2, 3)).astype("float32")
    yb = r.normal(size=(2, 2)).astype("float32")
    out = {"x": f(xb), "y": f(yb), "cases": {}}
    for cls, args in RESUME.items():
        m = resume_model(cls, args)
        m.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        base = os.path.join(RESUME_DIR, cls.lower())
        formats = [".keras"] if cls == "Adafactor" else [".keras", ".h5"]
        for ext in formats:
            m.save(base + ext)
        m.train_on_batch(xb, yb)
        out["cases"][cls] = {"formats": formats, "iterations": int(keras.ops.convert_to_numpy(m.optimizer._iterations)),
                             "next": [f(w) for w in m.get_weights()]}
    with open(os.path.join(RESUME_DIR, "next_step.json"), "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print(f"wrote {len(RESUME)} resume cases to {RESUME_DIR}")


if __name__ == "__main__":
    main()
    write_resume_fixtures()
