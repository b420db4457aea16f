#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The report's browser tests use Debian's Chromium; install it when we may (CI runs as root).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "== installing chromium (for the HTML report's browser tests)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "== ruff"; .venv/bin/ruff check src tests benchmarks && .venv/bin/ruff format --check src tests benchmarks
echo "== mypy"; .venv/bin/mypy src
# one worker per core: the suite takes about 2 minutes on 2 cores instead of 4 (pass -n 0 for one process)
echo "== pytest"; .venv/bin/pytest -n auto "$@"
