"""Store access: the only room of ``ilbirs.graph`` that talks to a store driver.

``Store`` is the small interface the rest of the package calls. ``EmbeddedStore`` implements it
on pyoxigraph (in memory, or on disk in a data directory); ``RemoteStore`` on any SPARQL 1.1
engine over HTTP; ``OxigraphServer`` starts and stops an Oxigraph server process. Values always
travel as RDF terms (``bindings``), never formatted into query text.
"""

from __future__ import annotations

from .base import Bindings, Row, Store, Triple
from .embedded import EmbeddedStore
from .remote import Auth, RemoteStore
from .server import OxigraphServer
from .virtuoso import VirtuosoServer

__all__ = [
    "Auth",
    "Bindings",
    "EmbeddedStore",
    "OxigraphServer",
    "RemoteStore",
    "Row",
    "Store",
    "Triple",
    "VirtuosoServer",
]
