#!/usr/bin/env bash
# Installs what is missing, builds keras.cpp and trains the Fashion-MNIST MLP
# (examples/fashion_mnist_mlp.cpp) with the Keras-style progress bar.
#
#   bash scripts/run_example.sh [epochs]     (default 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "installing Debian packages (if missing)"
bash "$REPO_ROOT/scripts/setup.sh"
step "configuring $BUILD_DIR"
configure
step "building examples/fashion_mnist_mlp"
build --target fashion_mnist_mlp
step "training (the model is saved as $BUILD_DIR/fashion.h5)"
cd "$BUILD_DIR"
"$BUILD_DIR/examples/fashion_mnist_mlp" "${1:-5}"
