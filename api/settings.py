"""Typed configuration, read once from ``ILBIRS_*`` environment variables (and a ``.env``
file), then passed down: ``ilbirs.graph`` never reads it.

| variable | default | meaning |
|---|---|---|
| ``ILBIRS_DATA_DIR`` | ``./ilbirs-data`` | where the embedded store keeps its data (``store/``) and write lock |
| ``ILBIRS_STORE_URL`` | (none) | a SPARQL 1.1 query endpoint; when set, Ilbirs uses that engine instead of its own |
| ``ILBIRS_STORE_UPDATE_URL`` | the query URL | the SPARQL 1.1 update endpoint of that engine |
| ``ILBIRS_STORE_GRAPH_STORE_URL`` | (none) | the engine's Graph Store Protocol endpoint; files then load through it (one request per graph) instead of INSERT batches |
| ``ILBIRS_STORE_AUTH`` | ``none`` | ``none``, ``basic``, ``digest`` or ``bearer`` |
| ``ILBIRS_STORE_USER`` / ``ILBIRS_STORE_PASSWORD`` / ``ILBIRS_STORE_TOKEN`` | (none) | credentials for that auth |
| ``ILBIRS_STORE_UNION_PARAMETER`` | ``union-default-graph`` | the engine's parameter for "default graph = union of graphs"; empty if it does so by itself |
| ``ILBIRS_QUERY_TIMEOUT_S`` | ``30`` | time limit of one query, in seconds (503 + ``Retry-After`` past it) |
| ``ILBIRS_MAX_ROWS`` | ``100000`` | most rows (or triples) a query may return; more is a 400 that says so |
| ``ILBIRS_MAX_RESULT_BYTES`` | ``67108864`` | most bytes of one result as the engine writes it (64 MiB) |
| ``ILBIRS_MAX_BODY_BYTES`` | ``10485760`` | most bytes of one request body (10 MiB; 413 past it) |
| ``ILBIRS_MAX_UPLOAD_TRIPLES`` | ``200000`` | most triples one Graph Store upload (or one part of it) may hold; more is a 400 that says so |
| ``ILBIRS_MAX_UPLOAD_DEPTH`` | ``64`` | most levels of nesting in an uploaded JSON-LD (objects, arrays) or RDF/XML (elements) document |
| ``ILBIRS_MAX_ENTITY_BYTES`` | ``10485760`` | most characters the DTD entities of an uploaded RDF/XML document may expand to |
| ``ILBIRS_SERVICE_ALLOW`` | (none) | endpoint IRIs that ``SERVICE`` may call, separated by spaces or commas |
| ``ILBIRS_TOKENS_FILE`` | ``<data dir>/tokens.json`` | the bearer tokens (hashed) that ``ilbirs token`` manages |
| ``ILBIRS_ANONYMOUS_QUERIES`` | ``true`` | whether queries without a token are answered (writes always need a steward token) |
| ``ILBIRS_MAX_COPY_QUADS`` | ``200000`` | updates other than INSERT/DELETE DATA are evaluated on a copy of the store; above this size they are refused |
| ``ILBIRS_ENGINE_PID_FILE`` | (set by ``ilbirs serve``) | the PID file of the Oxigraph server that ``serve`` supervises; a query past its time limit is stopped by restarting it |
| ``ILBIRS_HEADER_TIMEOUT_S`` | ``10`` | a request's headers must be complete this long after its first byte (408 and the connection closed past it) |
| ``ILBIRS_BODY_TIMEOUT_S`` | ``15`` | the longest pause within a request's body (and, after this long, it must come at 1 KiB/s on average); 408 past it |
| ``ILBIRS_CORS_ORIGINS`` | ``*`` | the web origins whose scripts may call the service (CORS), separated by spaces or commas: ``*`` any (anonymous reads, no credentials), empty: none |
| ``ILBIRS_CORS_CREDENTIALS`` | ``false`` | let those origins send credentials (cookies, HTTP auth the browser holds); only with a list of origins, never with ``*`` |
| ``ILBIRS_CORS_MAX_AGE_S`` | ``600`` | how long a browser may keep a preflight's answer |
| ``ILBIRS_HOST`` / ``ILBIRS_PORT`` / ``ILBIRS_WORKERS`` | ``127.0.0.1`` / ``8000`` / ``1`` | where ``ilbirs serve`` listens, and how many API processes |
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ilbirs.graph.service import Limits
from ilbirs.graph.store.formats import ParseLimits

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Ilbirs configuration. Build it once (``Settings()``) at the edge and pass it down."""

    model_config = SettingsConfigDict(env_prefix="ILBIRS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("ilbirs-data")
    store_url: str | None = None
    store_update_url: str | None = None
    store_graph_store_url: str | None = None
    store_auth: Literal["none", "basic", "digest", "bearer"] = "none"
    store_user: str | None = None
    store_password: str | None = None
    store_token: str | None = None
    store_union_parameter: str = "union-default-graph"
    query_timeout_s: int = 30
    max_rows: int = 100_000
    max_result_bytes: int = 64 * 1024 * 1024
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_triples: int = 200_000
    max_upload_depth: int = 64
    max_entity_bytes: int = 10 * 1024 * 1024
    service_allow: str = ""
    service_timeout_s: float = 10.0
    engine_pid_file: Path | None = None
    engine_start_s: float | None = None  # how long the supervised engine took to start (serve sets it)
    engine_socket: Path | None = None  # the isolated engine's broker (serve sets it)
    engine_isolation: bool = True  # run the supervised engine in a network namespace of its own
    tokens_file: Path | None = None
    anonymous_queries: bool = True
    max_copy_quads: int = 200_000
    version_ttl_s: float = 1.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    cors_origins: str = "*"
    cors_credentials: bool = False
    cors_max_age_s: int = 600
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    @model_validator(mode="after")
    def _no_credentials_for_any_origin(self) -> Settings:
        if self.cors_credentials and "*" in self.cors_origin_list:
            raise ValueError(
                "ILBIRS_CORS_CREDENTIALS needs a list of origins in ILBIRS_CORS_ORIGINS, not `*`: "
                "any site's scripts could then act with a user's credentials"
            )
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins CORS allows (``["*"]``: any; ``[]``: none).

        >>> Settings(cors_origins="https://a.example, https://b.example").cors_origin_list
        ['https://a.example', 'https://b.example']
        """
        return self.cors_origins.replace(",", " ").split()

    @property
    def limits(self) -> Limits:
        """The bounds on one query."""
        return Limits(
            timeout_s=self.query_timeout_s,
            max_rows=self.max_rows,
            max_bytes=self.max_result_bytes,
            services=frozenset(self.service_allow.replace(",", " ").split()),
            service_timeout_s=self.service_timeout_s,
        )

    @property
    def parse_limits(self) -> ParseLimits:
        """The bounds on one uploaded RDF document."""
        return ParseLimits(
            max_triples=self.max_upload_triples,
            max_depth=self.max_upload_depth,
            max_entity_bytes=self.max_entity_bytes,
        )

    @property
    def search_index_path(self) -> Path:
        """The label index of ``/api/v1/search`` (SQLite), shared by the workers of one host."""
        return self.data_dir / "search.sqlite"

    @property
    def version_hint_path(self) -> Path:
        """Where the workers of one host tell each other the store's version after a write."""
        return self.data_dir / "version"

    @property
    def store_dir(self) -> Path:
        """Where the embedded store's files live."""
        return self.data_dir / "store"

    @property
    def tokens_path(self) -> Path:
        """Where the bearer tokens are kept."""
        return self.tokens_file or self.data_dir / "tokens.json"

    @property
    def lock_path(self) -> Path:
        """The write lock every API process of this data directory shares."""
        return self.data_dir / "write.lock"
