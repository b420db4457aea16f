#!/usr/bin/env bash
# Set up a virtual environment (once) and run the example audits; reports go to reports/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/equityaudit demo "$@"
