"""The ``ilbirs`` command.

Exit codes, for every subcommand: 0 success; 1 the command ran and found a problem (a quality
check failed); 2 bad input or usage (an unreadable or unparsable file, an unknown option).
"""

from __future__ import annotations

import getpass
import json
import signal
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rdflib import URIRef
from rdflib.term import Identifier
from rich.console import Console
from rich.table import Table

from ilbirs.graph import IlbirsError, ParseError, describe, ensure_bundle, load_bundle, run_checks, synthetic
from ilbirs.graph.bundle import VALIDATED_KINDS
from ilbirs.graph.namespace import shorten
from ilbirs.graph.store import EmbeddedStore, OxigraphServer, Store
from ilbirs.graph.validation import (
    Engine,
    Severity,
    ValidationReport,
    ValidationResult,
    Validator,
    english_labels,
    report_graph,
    report_json,
    validation_graph,
)

if TYPE_CHECKING:
    from .settings import Settings
    from .tokens import TokenStore

__all__ = ["app", "main"]

app = typer.Typer(
    name="ilbirs",
    help="Ilbirs: the linked-data knowledge graph of transboundary biodiversity cooperation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    turtle = "turtle"


def _settings(overrides: Mapping[str, object]) -> Settings:
    """Settings from the environment, with the command-line options that were given on top."""
    from .settings import Settings

    return Settings(**cast(dict[str, Any], overrides))


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _bundle_store(extra: list[Path], *, kinds: frozenset[str] | None = None) -> Store:
    """An in-memory store holding the shipped bundle (or the ``kinds`` of it) and the extra
    files, or exit 2 with a message that names the file and line."""
    store = EmbeddedStore()
    try:
        load_bundle(store, kinds=kinds)
        for path in extra:
            if not path.is_file():
                raise _fail(f"{path}: no such file")
            graph = None if path.suffix.lower() in {".trig", ".nq"} else _file_graph(path)
            store.load_file(path, graph=graph)
    except ParseError as exc:
        raise _fail(str(exc)) from exc
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    except IlbirsError as exc:
        raise _fail(str(exc)) from exc
    return store


def _file_graph(path: Path) -> URIRef:
    """The graph a Turtle or N-Triples file given on the command line loads into."""
    return URIRef(path.resolve().as_uri())


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="A SPARQL 1.1 query endpoint [env ILBIRS_STORE_URL]; default: the embedded store."
    ),
]
StoreUpdateOption = Annotated[
    str | None,
    typer.Option(
        "--store-update",
        help="Its SPARQL 1.1 update endpoint [env ILBIRS_STORE_UPDATE_URL]; default: the query endpoint.",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory of the embedded store [env ILBIRS_DATA_DIR]."),
]


@app.command()
def info(
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for programs.")
    ] = OutputFormat.text,
    store: StoreOption = None,
    store_update: StoreUpdateOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Show the package and ontology versions, where the files are, and the quads in each graph.

    Reads the configured store: --store (or ILBIRS_STORE_URL), else the embedded store of the
    data directory if it exists, else the shipped files loaded in memory.
    """

    settings = _settings(
        {k: v for k, v in {"store_url": store, "data_dir": data_dir}.items() if v is not None}
    )
    if settings.store_url or settings.store_dir.exists():
        source = _store(store, data_dir, store_update)
        where = f"{source.kind}, {settings.store_url or settings.store_dir}"
    else:
        source = _bundle_store([])
        where = f"{source.kind}, loaded from the shipped files (no store in {settings.data_dir} yet)"
    try:
        summary = describe(source)
    except IlbirsError as exc:
        raise _fail(str(exc)) from exc
    if output is OutputFormat.json:
        doc = {
            "package_version": summary.package_version,
            "ontology_version": summary.ontology_version,
            "ontology_dir": str(summary.ontology_dir),
            "shapes_dir": str(summary.shapes_dir),
            "data_dir": str(summary.data_dir),
            "store": summary.store_kind,
            "store_location": where,
            "total_quads": summary.total_quads,
            "graphs": [
                {"graph": str(g.graph) if g.graph else None, "quads": g.quads, "source": g.source_label}
                for g in summary.graphs
            ],
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    console = Console(soft_wrap=True)
    console.print(f"[bold]Ilbirs[/] {summary.package_version} · ontology {summary.ontology_version or '?'}")
    console.print(f"ontology  {summary.ontology_dir}", highlight=False)
    console.print(f"shapes    {summary.shapes_dir}", highlight=False)
    console.print(f"data      {summary.data_dir}", highlight=False)
    console.print(f"store     {where}", highlight=False)
    table = Table(title=f"{len(summary.graphs)} graphs, {summary.total_quads} quads", title_justify="left")
    table.add_column("graph", no_wrap=True)
    table.add_column("quads", justify="right", no_wrap=True)
    table.add_column("source or title", ratio=1)
    for g in summary.graphs:
        table.add_row(shorten(g.graph) if g.graph else "(default graph)", str(g.quads), g.source_label or "")
    console.print(table)


@app.command()
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Extra Turtle, TriG, N-Triples or N-Quads files to check together with the shipped bundle."
        ),
    ] = None,
) -> None:
    """Run the quality checks (ontology/checks/*-violation.rq) over ontology, vocabularies, shapes and data.

    Exit 0 when every check finds nothing, 1 with a list of what to fix otherwise, 2 when a file cannot be read.
    """
    store = _bundle_store(files or [])
    try:
        results = run_checks(store)
    except IlbirsError as exc:
        raise _fail(str(exc)) from exc
    console = Console(soft_wrap=True)
    failed = [r for r in results if not r.passed]
    for result in results:
        mark = "[green]ok[/]  " if result.passed else f"[red]FAIL[/] {len(result.rows)}"
        console.print(f"{mark} {result.name}", highlight=False)
    for result in failed:
        console.print(f"\n[bold red]{result.name}[/]: {result.description}", highlight=False)
        for row in result.rows:
            console.print("  - " + ", ".join(f"{k}={shorten(v)}" for k, v in row.items()), highlight=False)
    if failed:
        console.print(f"\n{len(failed)} of {len(results)} checks failed.")
        raise typer.Exit(1)
    console.print(f"\nAll {len(results)} checks passed.")


@app.command()
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Turtle, TriG, N-Triples or N-Quads files to validate together with the shipped dataset."
        ),
    ] = None,
    output: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="text for people, json for programs, turtle for a SHACL report."),
    ] = ReportFormat.text,
    engine: Annotated[
        Engine, typer.Option("--engine", help="pyshacl-turbo (fast) or pyshacl (the reference).")
    ] = Engine.TURBO,
) -> None:
    """Validate the dataset, with your files if given, against the SHACL shapes.

    Exit 0 when it conforms (warnings allowed), 1 when a Violation is found, 2 when a file cannot be read.
    """
    store = _bundle_store(files or [], kinds=VALIDATED_KINDS)
    graph = validation_graph(store)
    report = Validator(engine=engine).validate(graph)
    if output is ReportFormat.turtle:
        typer.echo(report_graph(report).serialize(format="turtle"))
    elif output is ReportFormat.json:
        labels = english_labels(graph, {r.focus_node for r in report.results})
        typer.echo(json.dumps(report_json(report, labels), indent=2, ensure_ascii=False))
    else:
        _print_report(report, english_labels(graph, {r.focus_node for r in report.results}))
    if not report.conforms:
        raise typer.Exit(1)


def _print_report(report: ValidationReport, labels: dict[Identifier, str]) -> None:
    console = Console(soft_wrap=True)
    colour = {Severity.VIOLATION: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
    by_focus: dict[Identifier, list[ValidationResult]] = {}
    for result in report.results:
        by_focus.setdefault(result.focus_node, []).append(result)
    for focus, results in by_focus.items():
        label = labels.get(focus)
        console.print(
            f"\n[bold]{label or shorten(focus)}[/]" + (f"  [dim]{shorten(focus)}[/]" if label else ""),
            highlight=False,
        )
        for r in results:
            where = f" {shorten(r.path)}" if r.path else ""
            value = f" = {shorten(r.value)}" if r.value is not None else ""
            console.print(f"  [{colour[r.severity]}]{r.severity.value}[/]{where}{value}", highlight=False)
            console.print(f"    {r.message}", highlight=False)
            console.print(f"    [dim]shape {shorten(r.shape)}[/]", highlight=False)
    counts = report.counts()
    verdict = "[green]conforms[/]" if report.conforms else "[red]does not conform[/]"
    console.print(
        f"\n{verdict}: {counts['Violation']} violations, {counts['Warning']} warnings, {counts['Info']} infos "
        f"on {len(by_focus)} entities ({report.engine}).",
        highlight=False,
    )


@app.command()
def generate(
    triples: Annotated[
        int, typer.Option("--triples", "-n", min=1, help="How many quads to generate (at least).")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="The same seed gives the same data.")] = 0,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="N-Quads file to write; standard output if absent.")
    ] = None,
) -> None:
    """Generate synthetic data shaped like the real domain, as N-Quads, for benchmarks and tests.

    Every IRI is under https://example.org/synthetic/: synthetic data never passes for real data.
    """
    lines = synthetic.generate(triples, seed=seed)
    if output is None:
        for line in lines:
            typer.echo(line)
        return
    with output.open("w", encoding="utf-8") as out:
        count = 0
        for line in lines:
            out.write(line + "\n")
            count += 1
    Console(stderr=True).print(f"wrote {count} quads to {output}", highlight=False)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on [env ILBIRS_HOST, default 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [env ILBIRS_PORT, default 8000].")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="API worker processes [env ILBIRS_WORKERS, default 1].")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="A SPARQL 1.1 query endpoint to serve from, instead of the embedded store [env ILBIRS_STORE_URL].",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory of the embedded store [env ILBIRS_DATA_DIR].")
    ] = None,
) -> None:
    """Serve the knowledge graph over HTTP: /sparql (SPARQL 1.1 Protocol), /health, /ready.

    Without --store, starts and supervises an Oxigraph server on the data directory (and
    restarts it when it ends, e.g. when a runaway query had to be stopped); on first
    start with an empty store, loads the shipped ontology, shapes and dataset. Ctrl-C stops
    everything it started.
    """
    import os

    import uvicorn

    from ilbirs.graph.store.isolation import isolation_prefix
    from ilbirs.graph.store.server import stop_left_over

    from .http_protocol import NoDelayHTTPProtocol
    from .stores import build_remote_store
    from .workers import ServeError, check_free, run_workers, supported

    overrides = {
        k: v
        for k, v in {
            "host": host,
            "port": port,
            "workers": workers,
            "store_url": store,
            "data_dir": data_dir,
        }.items()
        if v is not None
    }
    settings = _settings(overrides)
    console = Console(stderr=True, soft_wrap=True)
    server = None
    # SIGTERM (systemd, Docker) must stop the engine too: uvicorn re-raises the signal it
    # caught once it has shut down, and the default action would end this process before the
    # ``finally`` below; as SystemExit it runs.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        check_free(settings.host, settings.port)  # before the engine starts and the bundle loads
        if not settings.store_url:
            pid_file = settings.data_dir / "engine.pid"
            # No --timeout-s: Oxigraph 0.5 keeps one thread per query alive for the whole
            # limit with it (3,000 queries: 3,006 threads for 30 s; none without), and fails
            # past ~16,000 (a sustained ~530 queries/s). The API's own time limit stops a
            # query instead (the socket gives up, the engine is restarted: README).
            left = stop_left_over(pid_file, settings.store_dir)
            if left is not None:
                console.print(
                    f"stopped the Oxigraph server (PID {left}) a killed `ilbirs serve` had left running",
                    highlight=False,
                )
            # The engine has no authentication: in a network namespace of its own, only this
            # user's processes reach it (through a 0600 Unix socket); else any local one can.
            isolation = isolation_prefix() if settings.engine_isolation else None
            socket_path = settings.data_dir / "engine.sock" if isolation else None
            server = OxigraphServer(
                settings.store_dir, pid_file=pid_file, isolation=isolation, socket_path=socket_path
            )
            began = time.monotonic()
            server.start().supervise()
            engine_start_s = round(time.monotonic() - began, 3)
            settings = settings.model_copy(
                update={
                    "store_url": server.query_url,
                    "store_update_url": server.update_url,
                    # An isolated engine loads files by INSERT, through the Unix socket.
                    "store_graph_store_url": None if isolation else server.graph_store_url,
                    "engine_pid_file": pid_file,
                    "engine_start_s": engine_start_s,
                    "engine_socket": socket_path,
                }
            )
            if socket_path is not None:
                console.print(
                    f"embedded store: Oxigraph server on {settings.store_dir}, in a network namespace "
                    f"of its own: only this user's processes reach it, through {socket_path}",
                    highlight=False,
                )
            else:
                why = "turned off" if not settings.engine_isolation else "not allowed on this host"
                console.print(
                    f"[bold yellow]warning:[/] embedded store: Oxigraph server on {settings.store_dir} "
                    f"({server.base_url}) without authentication: any local user or process can read "
                    f"and write it (network namespace isolation {why}). Serve from a dedicated host or "
                    "container, or from an engine with authentication (--store, ILBIRS_STORE_AUTH).",
                    highlight=False,
                )
        loaded = ensure_bundle(build_remote_store(settings))
        if loaded:
            console.print(
                f"loaded the shipped bundle: {sum(f.quads for f in loaded)} quads in {len(loaded)} files",
                highlight=False,
            )
        for key, value in settings.model_dump(exclude_none=True).items():
            os.environ[f"ILBIRS_{key.upper()}"] = str(value)
        console.print(
            f"serving on http://{settings.host}:{settings.port} with {settings.workers} worker(s); Ctrl-C stops",
            highlight=False,
        )
        options: dict[str, Any] = {
            "app": "ilbirs.api.app:app_from_env",
            "factory": True,
            "http": NoDelayHTTPProtocol,
            "host": settings.host,
            "port": settings.port,
            "workers": settings.workers,
            "log_level": "warning",
            # Access lines are INFO, below warning: not written either way, but with the
            # access logger on, uvicorn formats their arguments for every request.
            "access_log": False,
        }
        if settings.workers > 1 and supported():
            run_workers(uvicorn.Config(**options), settings.workers)  # taking turns: see workers.py
        else:
            uvicorn.run(**options)
    except (IlbirsError, ServeError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        if server is not None:
            server.stop()


def _store(store: str | None, data_dir: Path | None, update: str | None = None) -> Store:
    from .stores import open_store

    options = {"store_url": store, "store_update_url": update, "data_dir": data_dir}
    overrides = {k: v for k, v in options.items() if v is not None}
    try:
        return open_store(_settings(overrides))
    except IlbirsError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def load(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="RDF files: .ttl .nt .jsonld .rdf (need --graph), .trig .nq (name their graphs)."
        ),
    ],
    graph: Annotated[
        str | None,
        typer.Option("--graph", help="The graph IRI for Turtle, N-Triples, JSON-LD and RDF/XML files."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the graphs a file writes before loading it.")
    ] = False,
    store: StoreOption = None,
    store_update: StoreUpdateOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Bulk-load RDF files, with progress and the load rate at the end.

    A file that does not parse loads nothing, and the message names the file and the line.
    Bulk loading is not one transaction: if the process dies part-way, load the file again
    with --replace. (Writes through the API are atomic; see the README.)
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    target = _store(store, data_dir, store_update)
    name = URIRef(graph) if graph else None
    total, start = 0, time.perf_counter()
    console = Console(stderr=True, soft_wrap=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        for path in files:
            task = progress.add_task(f"loading {path.name}", total=None)
            if not path.is_file():
                raise _fail(f"{path}: no such file")
            try:
                quads = target.load_file(path, graph=name, replace=replace, bulk=True)
            except (ParseError, ValueError, IlbirsError) as exc:
                raise _fail(str(exc)) from exc
            total += quads
            progress.remove_task(task)
            console.print(f"{path}: {quads} quads", highlight=False)
    elapsed = time.perf_counter() - start
    rate = total / elapsed if elapsed > 0 else float("inf")
    # Logged like every change, which moves the store's version on (cached answers expire).
    # A bulk load is not validated: run `ilbirs validate` after it.
    from ilbirs.graph.changes import QuadChange, apply_change

    from .cache import write_hint

    names = ", ".join(p.name for p in files)
    record = apply_change(
        target,
        QuadChange(),
        expected_version=None,
        actor=getpass.getuser(),
        reason=f"ilbirs load {names}: {total} quads",
    )
    hint_dir = {"data_dir": data_dir} if data_dir is not None else {}
    write_hint(_settings(hint_dir).version_hint_path, record.version)  # running workers see it now
    console.print(
        f"loaded {total} quads from {len(files)} file(s) in {elapsed:.2f} s ({rate:,.0f} quads/s)",
        highlight=False,
    )


class ExportFormat(StrEnum):
    trig = "trig"
    nquads = "nquads"
    turtle = "turtle"
    ntriples = "ntriples"


@app.command()
def export(
    output_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", help="trig and nquads hold every graph; turtle and ntriples one (--graph)."
        ),
    ] = ExportFormat.trig,
    graph: Annotated[str | None, typer.Option("--graph", help="Export only this graph.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; standard output if absent.")
    ] = None,
    store: StoreOption = None,
    store_update: StoreUpdateOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Export the store, or one graph of it."""
    import sys

    source = _store(store, data_dir, store_update)
    try:
        if output is None:
            source.dump(sys.stdout.buffer, fmt=output_format.value, graph=URIRef(graph) if graph else None)
        else:
            with output.open("wb") as handle:
                source.dump(handle, fmt=output_format.value, graph=URIRef(graph) if graph else None)
    except (ValueError, IlbirsError) as exc:
        raise _fail(str(exc)) from exc


@app.command()
def backup(
    directory: Annotated[
        Path, typer.Argument(help="Directory to write the backup into (created if missing).")
    ],
    store: StoreOption = None,
    store_update: StoreUpdateOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Back the whole store up: every named graph as N-Quads, with a manifest (quads, time)."""
    source = _store(store, data_dir, store_update)
    directory.mkdir(parents=True, exist_ok=True)
    dump = directory / "ilbirs.nq"
    with dump.open("wb") as handle:
        source.dump(handle, fmt="nquads")
    quads = sum(1 for line in dump.read_text(encoding="utf-8").splitlines() if line.strip())
    manifest = {
        "format": "application/n-quads",
        "file": dump.name,
        "quads": quads,
        "written": datetime.now(UTC).isoformat(),
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    Console(stderr=True).print(f"backed up {quads} quads to {dump}", highlight=False)


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `ilbirs backup`.")],
    store: StoreOption = None,
    store_update: StoreUpdateOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Restore a backup into an empty store; the store then holds the same quads."""
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise _fail(f"{directory}: no manifest.json, not a backup written by `ilbirs backup`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target = _store(store, data_dir, store_update)
    if len(target):
        raise _fail(f"the store is not empty ({len(target)} quads): restore goes into an empty store")
    try:
        quads = target.load_file(directory / manifest["file"])
    except IlbirsError as exc:
        raise _fail(str(exc)) from exc
    if quads != manifest["quads"]:
        raise _fail(f"restored {quads} quads, the backup holds {manifest['quads']}", code=1)
    Console(stderr=True).print(f"restored {quads} quads", highlight=False)


token_app = typer.Typer(help="Bearer tokens for the HTTP API: reader, steward, admin.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _tokens(data_dir: Path | None) -> TokenStore:
    from .tokens import TokenStore

    overrides = {"data_dir": data_dir} if data_dir is not None else {}
    return TokenStore(_settings(overrides).tokens_path)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the token (a person, a system).")],
    role: Annotated[str, typer.Option("--role", "-r", help="reader, steward or admin.")] = "reader",
    data_dir: DataDirOption = None,
) -> None:
    """Create a token and print it, once: only its hash is kept."""
    try:
        secret = _tokens(data_dir).create(name, role)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(secret)
    Console(stderr=True).print(
        f"token {name!r} ({role}) created; it is shown this once. Send it as: Authorization: Bearer <token>",
        highlight=False,
    )


@token_app.command("list")
def token_list(data_dir: DataDirOption = None) -> None:
    """List the tokens: name, role, created (never the secrets)."""
    table = Table("name", "role", "created")
    for token in _tokens(data_dir).list():
        table.add_row(token.name, token.role, token.created)
    Console(soft_wrap=True).print(table)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a token: it stops working at once, in every API process."""
    if not _tokens(data_dir).revoke(name):
        raise _fail(f"no token named {name!r}", code=1)
    Console(stderr=True).print(f"token {name!r} revoked", highlight=False)


def main() -> None:
    """Entry point of the ``ilbirs`` console script."""
    app()


if __name__ == "__main__":  # python -m ilbirs.api.cli
    main()
