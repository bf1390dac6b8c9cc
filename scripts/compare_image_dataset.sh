#!/usr/bin/env bash
# Runs scripts/compare_image_dataset.py with a Python that has TensorFlow's
# Keras (keras.utils.image_dataset_from_directory decodes with TensorFlow):
# $KERAS_TF_PYTHON, else tf.keras 2.15 at /tmp/tf2/bin/python, else the
# Keras 3 venv if TensorFlow is installed there. Exits 77 (skipped) when
# none is found.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for py in "${KERAS_TF_PYTHON:-}" /tmp/tf2/bin/python "$HOME/.cache/keras.cpp/venv/bin/python"; do
  [[ -n "$py" && -x "$py" ]] || continue
  if "$py" -c "import tensorflow, numpy" >/dev/null 2>&1; then
    exec env TF_CPP_MIN_LOG_LEVEL=2 "$py" "$here/compare_image_dataset.py" "$@"
  fi
done
echo "SKIPPED: compare_image_dataset needs a Python with TensorFlow (set KERAS_TF_PYTHON)"
exit 77
