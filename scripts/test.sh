#!/usr/bin/env bash
# Set up a virtual environment (once) and run the whole test suite: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The report's browser tests use Debian's Chromium and the Spark tests a Java runtime (Debian's
# default-jre-headless); install what is missing when we may (CI runs as root), with one apt-get update.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "== installing ${missing[*]} (the HTML report's browser tests; the Spark tests)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "== ruff"; .venv/bin/ruff check src tests benchmarks && .venv/bin/ruff format --check src tests benchmarks
echo "== mypy"; .venv/bin/mypy src
# one worker per core: the suite takes about 2 minutes on 2 cores instead of 4 (pass -n 0 for one process);
# loadgroup keeps a module marked xdist_group on one worker (the Spark tests share one session)
echo "== pytest"; .venv/bin/pytest -n auto --dist loadgroup "$@"
