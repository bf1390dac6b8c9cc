#!/usr/bin/env bash
# Installs the Debian packages keras.cpp needs to build, test and run its
# examples; does nothing when they are all present. Uses sudo when not root.
#
#   bash scripts/setup.sh [extra-package ...]
set -euo pipefail

packages=(
  cmake make g++                       # build tools
  libxtensor-dev libxsimd-dev libopenblas-dev   # CPU backend
  libhdf5-dev libzip-dev pkg-config nlohmann-json3-dev zlib1g-dev   # files, configs, datasets
  libprotobuf-dev protobuf-compiler libpng-dev   # TensorBoard event files and images
  libjpeg62-turbo-dev libgif-dev libstb-dev      # load_img / image_dataset_from_directory (JPEG, GIF, BMP)
  doctest-dev                          # tests
  graphviz                             # plot_model renders with Graphviz's dot
  libcairo2-dev fonts-dejavu-core      # plot_history draws with cairo
  clang libclang-rt-14-dev             # the libFuzzer target on the model loader
  dataset-fashion-mnist                # the examples' data (/usr/share/datasets/fashion-mnist)
  libopenmpi-dev openmpi-bin           # data-parallel training (keras::distribution) and its tests
  iproute2                             # scripts/mpi_two_hosts.sh: network namespaces
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "setup: need root or sudo to run apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
