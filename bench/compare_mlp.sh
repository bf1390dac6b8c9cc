#!/usr/bin/env bash
# Kept for the commands recorded in docs/benchmarks.md: see bench/compare.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/compare.sh" mlp "$@"
