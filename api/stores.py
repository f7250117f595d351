"""Which store a process uses, from its settings: no FastAPI here, so that the command line
stays fast to start."""

from __future__ import annotations

from ilbirs.graph.errors import StoreError
from ilbirs.graph.store import Auth, EmbeddedStore, RemoteStore, Store

from .settings import Settings

__all__ = ["build_remote_store", "open_store"]


def build_remote_store(settings: Settings) -> RemoteStore:
    """The SPARQL 1.1 engine at ``settings.store_url``."""
    if not settings.store_url:
        raise StoreError("ILBIRS_STORE_URL is not set: start the API with `ilbirs serve`")
    auth = Auth(settings.store_auth, settings.store_user, settings.store_password, settings.store_token)
    return RemoteStore(
        settings.store_url,
        settings.store_update_url,
        auth=auth,
        union_parameter=settings.store_union_parameter or None,
        timeout=settings.query_timeout_s + 5,
        lock_path=settings.lock_path,
        engine_pid_file=settings.engine_pid_file,
        graph_store_url=settings.store_graph_store_url,
        retry_s=_restart_window(settings),
        engine_socket=settings.engine_socket,
    )


def _restart_window(settings: Settings) -> float:
    """How long a request waits for a supervised engine to come back (0: not supervised): its
    start time twice (the supervisor notices within 0.1 s, RocksDB may have more to recover
    after a kill), plus 5 s.

    >>> _restart_window(Settings(engine_pid_file="e.pid", engine_start_s=0.1))
    5.2
    """
    if settings.engine_pid_file is None:
        return 0.0
    return 5.0 + 2 * (settings.engine_start_s or 0.0)


def open_store(settings: Settings) -> Store:
    """The remote engine when ``store_url`` is set, else the embedded store of the data directory.

    :raises StoreError: the embedded store is in use by another process (``ilbirs serve``).
    """
    if settings.store_url:
        return build_remote_store(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return EmbeddedStore(settings.store_dir)
    except StoreError as exc:
        if "lock" not in str(exc).lower():
            raise
        raise StoreError(
            f"cannot open the store in {settings.store_dir}: is `ilbirs serve` running on it? "
            f"Then pass --store {'http://127.0.0.1:PORT/query'} (its Oxigraph server), or stop it. ({exc})"
        ) from exc
