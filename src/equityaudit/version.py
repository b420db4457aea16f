"""The version of equityaudit, in a module of its own so that every layer can read it.

The package's public face (``equityaudit.__version__``) re-exports it; modules inside equityaudit
import it from here rather than from the package, which re-exports everything else lazily.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
