"""Store access: the only room of ``ilbirs.graph`` that talks to a store driver.

``Store`` is the small interface the rest of the package calls; ``EmbeddedStore`` is its
implementation on pyoxigraph (in memory, or on disk in a data directory). Values always
travel as RDF terms (``bindings``), never formatted into query text.
"""

from __future__ import annotations

from .base import Bindings, Row, Store, Triple
from .embedded import EmbeddedStore

__all__ = ["Bindings", "EmbeddedStore", "Row", "Store", "Triple"]
