"""The ``retrace`` command: make the demo database, open the debugger, list threads and history.

Every failure a user can cause (a missing, foreign, damaged or newer database, an unknown thread)
ends with a one-line message on stderr and exit code 2, and leaves the file untouched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.checkpoint.serde import jsonable
from engine.constants import is_internal_channel
from engine.debug.diff import diff_states
from engine.debug.model import CheckpointSummary
from engine.debug.provenance import provenance
from engine.debug.refs import CheckpointRefError, resolve, short_ids
from engine.debug.source import CheckpointSource, open_source
from engine.debug.status import failed_after
from engine.debug.steps import read_step_writes
from engine.errors import (
    EngineError,
    NotARetraceDatabaseError,
    SerializationError,
)
from tui.checkpoint_nodes import nodes_that_ran
from tui.cli_errors import MAX_ERROR_CHARS, fail
from tui.cli_graph import graph_command
from tui.cli_lint import lint_command
from tui.cli_run import inbox_command, run_command
from tui.cli_views import (
    diff_data,
    diff_text,
    failed_step,
    failed_step_text,
    show_data,
    show_text,
)
from tui.safe_text import escape_control
from tui.thread_status import DAMAGED_MARK
from tui.value_format import format_time

T = TypeVar("T")
DEFAULT_DEMO_DB = "retrace-demo.db"


MAX_LIMIT = 1_000_000_000


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async CLI step; turn every error into a one-line message and exit code 2."""
    try:
        return asyncio.run(coro_fn())
    except EngineError as exc:  # the store's refusals, a checkpoint reference that names nothing
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except Exception as exc:  # a bug of ours still ends in one line, never a traceback
        fail(f"unexpected {type(exc).__name__}: {exc} (a bug in retrace; please report it)")


def print_json(data: Any) -> None:
    """Valid JSON, ASCII only (so no control character reaches the terminal raw): values in
    the stored tagged form, an unreadable one as ``{"__undecodable__": reason, ...}``."""
    try:
        text = json.dumps(jsonable(data), indent=2, allow_nan=False)
    except (SerializationError, RecursionError, ValueError) as exc:
        fail(f"cannot print this as JSON: {exc}")
    click.echo(text)


async def _read(path: Path, query: Callable[[CheckpointSource], Awaitable[T]]) -> T:
    reader = await open_source(path)
    try:
        return await query(reader)
    finally:
        await reader.close()


def _open_debugger(path: Path, graphs: Sequence[Any] = ()) -> None:
    from tui.app import RetraceApp

    app = RetraceApp(path, graphs)
    app.run()
    if app.return_code:  # the app died (Textual printed why): say so with the exit code too
        sys.exit(app.return_code)


class _OneLineErrors(click.Group):
    """Usage errors as one ``retrace: error:`` line with exit code 2, like every other error
    (click prints the usage, a hint and the error on three)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        prog_name = prog_name or "retrace"
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # plain `retrace`: the help
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "retrace"
            fail(f"{exc.format_message()} (see `{where} --help`)")
        except click.ClickException as exc:
            fail(exc.format_message())
        except click.Abort:
            fail("aborted")
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="retrace")
def main() -> None:
    """retrace: a time-travel debugger for agent graphs."""


async def _is_demo_database(path: Path) -> bool:
    from sample_graphs.demo import DEMO_MARKER

    try:
        return await _read(path, lambda r: r.get_meta(DEMO_MARKER[0])) == DEMO_MARKER[1]
    except NotARetraceDatabaseError:
        return False


@main.command()
@click.option("--db", "db", default=DEFAULT_DEMO_DB, show_default=True, type=click.Path(path_type=Path),
              help="Where to write the demo checkpoint database.")
@click.option("--no-open", is_flag=True, help="Write the database but do not open the debugger.")
def demo(db: Path, no_open: bool) -> None:
    """Run the sample graphs into a checkpoint database and open the debugger on it.

    A database an earlier `retrace demo` made is replaced; any other file at that path is left
    untouched.
    """
    from sample_graphs.demo import write_demo_database

    if db.is_dir():
        fail(f"{db} is a directory; pass --db with the path of a file to write")
    if db.exists() or db.is_symlink():
        if not run(lambda: _is_demo_database(db)):
            fail(f"{db} exists and was not made by `retrace demo`; it is left untouched. "
                 "Pass --db with another path.")
        click.echo(f"replacing {escape_control(str(db))} (made by an earlier `retrace demo`; its threads are lost)")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    runs = run(lambda: write_demo_database(db))
    for r in runs:
        click.echo(f"wrote thread {r.thread_id:<24} {r.graph:<26} {r.status}")
        if r.error is not None:
            click.echo(textwrap.indent(textwrap.fill(escape_control(r.error), width=96), "    "))
    click.echo(f"{len(runs)} threads in {escape_control(str(db))}")
    if not no_open:
        from sample_graphs.demo import demo_graphs

        _open_debugger(db, demo_graphs())


def _load_graphs(refs: Sequence[str]) -> list[Any]:
    from engine.debug.attach import GraphLoadError, load_graph

    try:
        return [load_graph(ref) for ref in refs]
    except GraphLoadError as exc:
        fail(str(exc))


@main.command(name="open")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--graph", "graph_refs", multiple=True, metavar="MODULE:ATTR",
              help="Attach a graph (repeatable) so edit, replay and continue can run it; each "
                   "thread is matched by the graph name it recorded.")
def open_command(path: Path, graph_refs: tuple[str, ...]) -> None:
    """Open the debugger on an existing checkpoint database.

    Without --graph the debugger only reads. Nothing named in the database is ever imported:
    only the graphs you name here run.
    """
    graphs = _load_graphs(graph_refs)
    run(lambda: _read(path, lambda r: r.list_threads(limit=1)))
    _open_debugger(path, graphs)


def _when(iso: str) -> str:
    """``2026-12-01 21:42:31`` on a terminal (UTC, as stored); the stored text when piped."""
    return format_time(iso) if sys.stdout.isatty() else iso


def _marked(text: str, damage: tuple[str, ...]) -> str:
    """``⚠ done`` for a row the reader could not fully read (``--json`` lists what)."""
    return f"{DAMAGED_MARK} {text}" if damage else text


def _print_table(columns: list[str], rows: list[list[Any]], *, fold: tuple[str, ...] = ()) -> None:
    """A Rich table; only the ``fold`` columns wrap (ids, times and numbers never break)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Piped output gets no terminal width: don't cut ids to 80 columns where scripts read them.
    console = Console() if sys.stdout.isatty() else Console(width=100_000)
    table = Table(box=None, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column not in fold, min_width=len(column))
    for row in rows:
        table.add_row(*(Text(escape_control("" if v is None else str(v), limit=MAX_ERROR_CHARS)) for v in row))
    console.print(table)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def threads(path: Path, as_json: bool) -> None:
    """List the threads of a checkpoint database, most recently updated first."""
    found = run(lambda: _read(path, lambda r: r.list_threads()))
    if as_json:
        print_json([{f.name: getattr(t, f.name) for f in dataclasses.fields(t)} | {"damage": list(t.damage)}
                    for t in found])
        return
    if not found:
        click.echo(f"{escape_control(str(path))} has no threads yet")
        return
    _print_table(
        ["thread", "checkpoints", "latest step", "updated", "status"],
        [[t.thread_id, t.checkpoint_count, t.latest_step, _when(t.updated_at), _marked(t.status, t.damage)]
         for t in found],
        fold=("thread",),
    )


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("thread")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--limit", type=click.IntRange(min=1, max=MAX_LIMIT), default=None,
              help="Show only the newest N checkpoints.")
def history(path: Path, thread: str, as_json: bool, limit: int | None) -> None:
    """List a thread's checkpoints, newest first."""

    async def query(reader: CheckpointSource) -> Any:
        if await reader.get_thread(thread) is None:
            return None
        return await reader.list_checkpoints(thread, limit=limit)

    checkpoints = run(lambda: _read(path, query))
    if checkpoints is None:
        fail(f"thread {thread!r} is not in {path}; `retrace threads {path}` lists the threads")
    if as_json:
        print_json([
            {
                "checkpoint_id": c.checkpoint_id,
                "parent_checkpoint_id": c.parent_checkpoint_id,
                "step": c.step,
                "source": c.source,
                "nodes": sorted(c.writes),
                "writes": c.writes,
                "next": list(c.next),
                "created_at": c.created_at,
                "damage": list(c.damage),
            }
            for c in checkpoints
        ])
        return
    # On a terminal, ids as short as they can be while still unique (any of them works as a
    # --checkpoint/--from/--to); piped, whole.
    ids = [c.checkpoint_id for c in checkpoints] + [c.parent_checkpoint_id or "" for c in checkpoints]
    short = short_ids([i for i in ids if i]) if sys.stdout.isatty() else {i: i for i in ids}
    _print_table(
        ["step", "source", "nodes", "next", "created", "checkpoint", "parent"],
        [
            [c.step, _marked(c.source, c.damage), nodes_that_ran(c, none="-"), ", ".join(c.next) or "-",
             _when(c.created_at), short[c.checkpoint_id], short.get(c.parent_checkpoint_id or "", "-") or "-"]
            for c in checkpoints
        ],
        fold=("nodes", "next"),
    )


def _visible(values: dict[str, Any], internal: bool) -> dict[str, Any]:
    """The channel values to show: the engine's own channels only with ``--internal``."""
    return values if internal else {k: v for k, v in values.items() if not is_internal_channel(k)}


async def _thread_history(reader: CheckpointSource, path: Path, thread: str) -> list[CheckpointSummary]:
    """The thread's whole history, newest first; a missing or empty thread is a refusal."""
    if await reader.get_thread(thread) is None:
        raise CheckpointRefError(f"thread {thread!r} is not in {path}; `retrace threads {path}` lists the threads")
    history = await reader.list_checkpoints(thread, limit=None)
    if not history:
        raise CheckpointRefError(f"thread {thread!r} has no checkpoints yet")
    return history


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("thread")
@click.option("--checkpoint", "ref", default=None, metavar="ID|STEP",
              help="The checkpoint: an id, a unique start of one, or a step number (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (values in full).")
@click.option("--internal", is_flag=True, help="Include the engine's channels (__start__, branch:to:*, join:*).")
def show(path: Path, thread: str, ref: str | None, as_json: bool, internal: bool) -> None:
    """Show one checkpoint: what made it, its state, and what its step wrote."""

    async def query(reader: CheckpointSource) -> Any:
        history = await _thread_history(reader, path, thread)
        target = resolve(history, ref) if ref is not None else history[0]
        summary = await reader.get_thread(thread)
        failed = None
        if summary is not None and failed_after(summary, target):
            failed = failed_step(summary, await reader.get_pending_writes(thread, target.checkpoint_id))
        return await reader.get_checkpoint(thread, target.checkpoint_id), await read_step_writes(reader, target), failed

    detail, writes, failed = run(lambda: _read(path, query))
    if not internal:
        detail = dataclasses.replace(detail, channel_values=_visible(detail.channel_values, internal))
        writes = None if writes is None else [w for w in writes if not is_internal_channel(w.channel)]
    if as_json:
        print_json({**show_data(detail, writes), "failed_step": failed})
        return
    for line in show_text(detail, writes) + (failed_step_text(failed) if failed else []):
        click.echo(line)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("thread")
@click.option("--from", "from_ref", default=None, metavar="ID|STEP",
              help="The older side (default: the parent of --to).")
@click.option("--to", "to_ref", default=None, metavar="ID|STEP", help="The newer side (default: the newest).")
@click.option("--from-thread", default=None, metavar="THREAD",
              help="Take --from from this thread instead (compare two threads).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--internal", is_flag=True, help="Include the engine's channels (__start__, branch:to:*, join:*).")
def diff(
    path: Path, thread: str, from_ref: str | None, to_ref: str | None, from_thread: str | None,
    as_json: bool, internal: bool,
) -> None:
    """Show what changed between two checkpoints, channel by channel.

    Either side may be on another branch, or (--from-thread) on another thread. Each changed
    channel names the node and step that wrote its value, or the edit that set it.
    """

    async def query(reader: CheckpointSource) -> Any:
        history = await _thread_history(reader, path, thread)
        after = resolve(history, to_ref) if to_ref is not None else history[0]
        other = history if from_thread is None else await _thread_history(reader, path, from_thread)
        if from_ref is not None:
            before = resolve(other, from_ref)
        elif from_thread is not None:
            before = other[0]
        elif after.parent_checkpoint_id is not None:
            before = resolve(history, after.parent_checkpoint_id)
        else:
            raise CheckpointRefError(f"checkpoint {after.checkpoint_id} is the thread's first: give --from")
        old = await reader.get_checkpoint(before.thread_id, before.checkpoint_id)
        new = await reader.get_checkpoint(thread, after.checkpoint_id)
        changes = diff_states(_visible(old.channel_values, internal), _visible(new.channel_values, internal))
        found = provenance(new, [c.channel for c in changes.channels], {c.checkpoint_id: c for c in history})
        return before, after, changes, found

    before, after, changes, found = run(lambda: _read(path, query))
    if as_json:
        print_json(diff_data(changes, before, after, found))
        return
    click.echo(escape_control(f"from {before.checkpoint_id} (step {before.step}, {before.source}, thread {before.thread_id})"))
    click.echo(escape_control(f"to   {after.checkpoint_id} (step {after.step}, {after.source}, thread {after.thread_id})"))
    for line in diff_text(changes, found):
        click.echo(line)


main.add_command(graph_command)
main.add_command(run_command)
main.add_command(inbox_command)
main.add_command(lint_command)
