#!/usr/bin/env bash
# Install LayerLab with its test extras and run the whole suite headless (README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
python3 -m pytest -q "$@"
