"""Start and stop a Virtuoso 7 server (Debian ``virtuoso-opensource-7-bin``, ``virtuoso-t``)
in a directory of its own, on free loopback ports, and reach it as a ``RemoteStore``.

Measured on Virtuoso 7.2.5: starts in ~3 s; queries at ``/sparql``, updates at
``/sparql-auth`` with HTTP Digest (``dba``/``dba`` on a fresh database); the default graph is
the union of all graphs, system graphs included.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import TracebackType

from ilbirs.graph.errors import StoreError

from .remote import Auth, RemoteStore
from .server import free_port, stop_process, wait_until_answers

__all__ = ["VIRTUOSO_SYSTEM_GRAPHS", "VirtuosoServer"]

#: Graphs a fresh Virtuoso database holds for itself; Ilbirs leaves them out.
VIRTUOSO_SYSTEM_GRAPHS = frozenset(
    {
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localuriqaserver/sparql",
        "http://www.w3.org/2002/07/owl#",
    }
)

_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
ThreadCleanupInterval = 0
ResourcesCleanupInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 10
ServerThreads = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {timeout}
MaxQueryCostEstimationTime = 0
"""


class VirtuosoServer:
    """A ``virtuoso-t`` process on a database in ``directory``."""

    def __init__(self, directory: Path, *, timeout_s: int = 60) -> None:
        self.directory = directory
        self.http_port = free_port()
        self.sql_port = free_port()
        self.timeout_s = timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def update_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    def store(self) -> RemoteStore:
        """A ``RemoteStore`` set up for this server's quirks."""
        return RemoteStore(
            self.query_url,
            self.update_url,
            auth=Auth("digest", "dba", "dba"),
            union_parameter=None,
            dataset_by_protocol=True,
            hidden_graphs=VIRTUOSO_SYSTEM_GRAPHS,
            graph_store_url=self.query_url.rsplit("/", 1)[0] + "/sparql-graph-crud-auth",
        )

    def start(self, *, wait_s: float = 60.0) -> VirtuosoServer:
        """Start the server and wait until ``/sparql`` answers.

        :raises StoreError: virtuoso-t is not installed, exited, or did not answer in time.
        """
        command = shutil.which("virtuoso-t")
        if command is None:
            raise StoreError(
                "virtuoso-t is not installed (Debian: apt-get install virtuoso-opensource-7-bin)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(
            _INI.format(d=self.directory, sql=self.sql_port, http=self.http_port, timeout=self.timeout_s),
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [command, "-f", "-c", str(ini)],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_answers(self.process, self.query_url + "?query=ASK%7B%7D", wait_s, name="virtuoso-t")
        except StoreError as exc:
            self.stop()
            log = (self.directory / "virtuoso.log").read_text(errors="replace")[-800:]
            raise StoreError(f"{exc}; its log ends: {log}") from exc
        return self

    def stop(self) -> None:
        """Stop the server and wait for it."""
        stop_process(self.process)

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
