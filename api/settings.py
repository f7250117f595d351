"""Typed configuration, read once from ``ILBIRS_*`` environment variables (and a ``.env``
file), then passed down: ``ilbirs.graph`` never reads it.

| variable | default | meaning |
|---|---|---|
| ``ILBIRS_DATA_DIR`` | ``./ilbirs-data`` | where the embedded store keeps its data (``store/``) and write lock |
| ``ILBIRS_STORE_URL`` | (none) | a SPARQL 1.1 query endpoint; when set, Ilbirs uses that engine instead of its own |
| ``ILBIRS_STORE_UPDATE_URL`` | the query URL | the SPARQL 1.1 update endpoint of that engine |
| ``ILBIRS_STORE_AUTH`` | ``none`` | ``none``, ``basic``, ``digest`` or ``bearer`` |
| ``ILBIRS_STORE_USER`` / ``ILBIRS_STORE_PASSWORD`` / ``ILBIRS_STORE_TOKEN`` | (none) | credentials for that auth |
| ``ILBIRS_STORE_UNION_PARAMETER`` | ``union-default-graph`` | the engine's parameter for "default graph = union of graphs"; empty if it does so by itself |
| ``ILBIRS_QUERY_TIMEOUT_S`` | ``30`` | time limit of one query, in seconds |
| ``ILBIRS_HOST`` / ``ILBIRS_PORT`` / ``ILBIRS_WORKERS`` | ``127.0.0.1`` / ``8000`` / ``1`` | where ``ilbirs serve`` listens, and how many API processes |
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Ilbirs configuration. Build it once (``Settings()``) at the edge and pass it down."""

    model_config = SettingsConfigDict(env_prefix="ILBIRS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("ilbirs-data")
    store_url: str | None = None
    store_update_url: str | None = None
    store_auth: Literal["none", "basic", "digest", "bearer"] = "none"
    store_user: str | None = None
    store_password: str | None = None
    store_token: str | None = None
    store_union_parameter: str = "union-default-graph"
    query_timeout_s: int = 30
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    @property
    def store_dir(self) -> Path:
        """Where the embedded store's files live."""
        return self.data_dir / "store"

    @property
    def lock_path(self) -> Path:
        """The write lock every API process of this data directory shares."""
        return self.data_dir / "write.lock"
