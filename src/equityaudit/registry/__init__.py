"""The consortium registry: an HTTP service where members publish signed, aggregate-only results.

* :mod:`~equityaudit.registry.storage` — the database (SQLite or PostgreSQL, Alembic migrations),
  members, keys, tokens, standards, and the hash-chained log of submissions;
* :mod:`~equityaudit.registry.validation` — the aggregate-only rule;
* :mod:`~equityaudit.registry.app` — the FastAPI app;
* :mod:`~equityaudit.registry.pooling` and :mod:`~equityaudit.registry.suppression` — the results,
  benchmark and pooled views, with cell suppression; :mod:`~equityaudit.registry.stratification`
  — members as strata (Mantel–Haenszel), LL144 scoring rates included;
  :mod:`~equityaudit.registry.differencing` — which members a combination of views isolates;
* :mod:`~equityaudit.registry.client` — the HTTP client the CLI uses.

FastAPI, SQLAlchemy, Alembic and httpx are imported only by these modules (the ``registry`` extra:
``pip install 'equityaudit[registry]'``). See docs/consortium.md.
"""

from __future__ import annotations
