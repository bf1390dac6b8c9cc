"""Writes tests/fixtures/numpy/random_state.json: NumPy's legacy RandomState
shuffles and permutations for a few seeds and sizes, the reference for
src/numpy_random.cpp (Keras's data utilities shuffle this way)."""
import json
import os

import numpy as np

cases = []
for seed in (0, 1, 42, 1337, 123456, 2**32 - 1):
    for n in (1, 2, 7, 100) + ((1000,) if seed == 42 else ()):
        rng = np.random.RandomState(seed)
        items = list(range(n))
        rng.shuffle(items)  # the list path, as Keras shuffles file names
        perm = np.random.RandomState(seed).permutation(n).tolist()
        cases.append({"seed": seed, "n": n, "shuffle": items, "permutation": perm})
out = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "numpy", "random_state.json")
with open(out, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
