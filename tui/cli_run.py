"""``retrace run`` (run or resume a graph on a thread, a line per super-step) and
``retrace inbox`` (the threads waiting for a person).

``retrace run`` exits 0 when the run ends, 3 when it stops at an interrupt or a breakpoint
(printing what waits and the command that goes on), 1 when a node fails (the failed step is
saved), 2 for bad arguments or a database it cannot use.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from engine.checkpoint.serde import jsonable
from engine.checkpoint.sqlite import AsyncSqliteSaver
from engine.debug.attach import GraphLoadError, load_graph
from engine.debug.inbox import (
    approve_answer,
    payload_summary,
    pending_interrupts,
    waiting_threads,
)
from engine.debug.source import open_source
from engine.errors import EngineError
from engine.pregel.runtime import StepCommitted, StepPlan
from engine.types import Command, Interrupt
from tui.cli_errors import MAX_ERROR_CHARS, fail
from tui.safe_text import escape_control

EXIT_DONE, EXIT_FAILED, EXIT_WAITING = 0, 1, 3


_EXAMPLES = {
    "--input": """--input '{"messages": [["human", "hi"]]}'""",
    "--resume": """--resume '{"type": "accept"}'""",
    "--context": """--context '{"user_id": "u1"}'""",
}


def _json_arg(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{option} is not valid JSON: {exc.msg} at column {exc.colno}; quote it for the shell, "
             f"e.g. {_EXAMPLES[option]}")


def _check_thread(ref: str, db: Path, thread: str, latest: Any, value: Any) -> None:
    """Refuse, before anything runs, what cannot be meant: going on with (or answering) a thread
    that does not exist or does not wait, or running another graph than the one that made it."""
    ran_by = latest.metadata.get("graph") if latest is not None else None
    if isinstance(ran_by, str) and ran_by != ref:
        fail(f"thread {thread!r} was run by {ran_by}, not {ref}; pass {ran_by} (a thread belongs to its graph)")
    if value is not None and not isinstance(value, Command):
        return  # a new run's input
    if latest is None:
        fail(f"no thread {thread!r} in {db}: `retrace threads {db}` lists them; start one with --input")
    if isinstance(value, Command) and not pending_interrupts(latest.pending_writes) and not latest.next:
        fail(f"thread {thread!r} is not waiting for input: its run ended (`retrace inbox {db}` lists the "
             "threads that wait)")


def _shown(value: Any) -> str:
    """A value as one line of ASCII JSON, neutralised for the terminal."""
    try:
        text = json.dumps(jsonable(value), ensure_ascii=True, default=str)
    except Exception:  # noqa: BLE001 - an unprintable value is still reported
        text = repr(value)
    return escape_control(text, limit=MAX_ERROR_CHARS)


class _Printer:
    """The run's step hook: one line per saved checkpoint; stops after one step with --step."""

    def __init__(self, one_step: bool) -> None:
        self.one_step = one_step
        self.started = 0

    def before_step(self, plan: StepPlan) -> bool:
        self.started += 1
        return not self.one_step or self.started <= 1

    def after_step(self, committed: StepCommitted) -> None:
        ran = ", ".join(t.name for t in committed.tasks) or "(input)"
        nxt = ", ".join(committed.next) or "end"
        cid = (committed.config or {}).get("configurable", {}).get("checkpoint_id", "")
        click.echo(escape_control(f"step {committed.step:>3}  {committed.source:<6} {ran:<28} next: {nxt:<20} {cid}"))


def _resume_command(ref: str, db: Path, thread: str, answer: Any | None, context_json: str | None) -> str:
    words = ["retrace", "run", ref, "--db", str(db), "--thread", thread]
    if answer is not None:
        words += ["--resume", json.dumps(answer, ensure_ascii=True)]
    if context_json is not None:
        words += ["--context", context_json]
    return escape_control(shlex.join(words))


async def _run(
    ref: str, db: Path, thread: str, value: Any, one_step: bool, before: list[str] | None, context_json: str | None
) -> int:
    try:
        graph = load_graph(ref)
    except GraphLoadError as exc:
        fail(str(exc))
    interrupts: tuple[Interrupt, ...] = ()
    async with AsyncSqliteSaver.from_conn_string(db) as saver:
        bound = graph.with_checkpointer(saver)
        config = {"configurable": {"thread_id": thread}}
        printer = _Printer(one_step)
        try:
            loop = bound.loop(config, hook=printer, interrupt_before=before, context=_json_arg(context_json, "--context"))
        except (ValueError, TypeError) as exc:  # a breakpoint on no node; a context that does not fit
            fail(str(exc))
        _check_thread(ref, db, thread, await saver.aget_tuple(config), value)
        try:
            async for mode, chunk in loop.run(value):
                if mode == "__interrupt__":
                    interrupts = chunk
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            if not printer.started:  # refused before anything ran: the input or the answer
                fail(str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}")
            click.echo(escape_control(f"node failed: {type(exc).__name__}: {exc}", limit=MAX_ERROR_CHARS), err=True)
            click.echo(escape_control(f"the failed step is saved; look at it with: retrace show {db} {thread}"), err=True)
            return EXIT_FAILED
        latest = await saver.aget_tuple(config)
    if interrupts:
        for item in interrupts:
            click.echo(f"waiting for input (interrupt {item.id}):")
            click.echo(f"  {_shown(item.value)}")
        answer = approve_answer() if len(interrupts) == 1 else {i.id: approve_answer() for i in interrupts}
        click.echo("answer it (this one approves; edit the JSON to reject or change it):")
        click.echo(f"  {_resume_command(ref, db, thread, answer, context_json)}")
        return EXIT_WAITING
    if latest is not None and latest.next:
        click.echo(escape_control(f"paused before {', '.join(latest.next)}; go on with:"))
        click.echo(f"  {_resume_command(ref, db, thread, None, context_json)}")
        return EXIT_WAITING
    click.echo("done")
    return EXIT_DONE


@click.command(name="run")
@click.argument("ref", metavar="GRAPH")
@click.option("--db", "db", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The checkpoint database (made if it does not exist).")
@click.option("--thread", "thread", required=True, help="The thread id to run on.")
@click.option("--input", "input_json", default=None, metavar="JSON", help="Start a new run with this input.")
@click.option("--resume", "resume_json", default=None, metavar="JSON",
              help="Answer the thread's interrupt(s) with this value and run on.")
@click.option("--context", "context_json", default=None, metavar="JSON",
              help="The run's context (runtime.context; the graph's context_schema). Not saved: give it again to go on.")
@click.option("--step", "one_step", is_flag=True, help="Run one super-step, then pause.")
@click.option("--interrupt-before", "before", default=None, metavar="NODE,...",
              help="Pause before these nodes (comma-separated, or '*').")
def run_command(ref: str, db: Path, thread: str, input_json: str | None, resume_json: str | None,
                context_json: str | None, one_step: bool, before: str | None) -> None:
    """Run GRAPH (module:attr) on a thread of the database, printing a line per super-step.

    With neither --input nor --resume, the thread goes on from where it stopped. Exit code: 0
    the run ended, 3 it waits (an interrupt or a breakpoint; the command to go on is printed),
    1 a node failed (the step is saved), 2 bad arguments.
    """
    if input_json is not None and resume_json is not None:
        fail("pass --input (a new run) or --resume (answer an interrupt), not both")
    value: Any = _json_arg(input_json, "--input")
    if resume_json is not None:
        value = Command(resume=_json_arg(resume_json, "--resume"))
    nodes = None if before is None else ("*" if before.strip() == "*" else [n.strip() for n in before.split(",") if n.strip()])
    try:
        code = asyncio.run(_run(ref, db, thread, value, one_step, nodes, context_json))
    except EngineError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    sys.exit(code)


@click.command(name="inbox")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def inbox_command(path: Path, as_json: bool) -> None:
    """List the threads waiting for a person: each interrupt's payload, or the breakpoint."""

    async def read() -> list:
        source = await open_source(path)
        try:
            waiting = await waiting_threads(source)
            graphs = []
            for w in waiting:  # the graph that ran it: what `retrace run` needs to answer it
                newest = await source.list_checkpoints(w.thread.thread_id, limit=1)
                ref = newest[0].metadata.get("graph") if newest else None
                graphs.append(ref if isinstance(ref, str) else None)
            return list(zip(waiting, graphs))
        finally:
            await source.close()

    try:
        found = asyncio.run(read())
    except EngineError as exc:
        fail(str(exc))
    waiting = [w for w, _ in found]
    if as_json:
        data = [
            {"thread_id": w.thread.thread_id, "checkpoint_id": w.thread.latest_checkpoint_id, "kind": w.kind,
             "interrupts": [{"id": i.interrupt_id, "node": i.node, "value": i.value} for i in w.interrupts]}
            for w in waiting
        ]
        click.echo(json.dumps(jsonable(data), indent=2, ensure_ascii=True, default=str))
        return
    if not waiting:
        click.echo("no thread is waiting")
        return
    for w, ref in found:
        click.echo(escape_control(f"{w.thread.thread_id}  ({w.kind}, step {w.thread.latest_step})"))
        for item in w.interrupts:
            what, why = payload_summary(item.value)
            click.echo(escape_control(f"  {item.node}: {what}", limit=MAX_ERROR_CHARS))
            if why:
                click.echo(escape_control(f"    {why}", limit=MAX_ERROR_CHARS))
        answer = approve_answer() if len(w.interrupts) == 1 else {i.interrupt_id: approve_answer() for i in w.interrupts}
        command = _resume_command(ref or "MODULE:ATTR", path, w.thread.thread_id, answer if w.interrupts else None, None)
        click.echo(f"  {'answer' if w.interrupts else 'go on'}: {command}")
    click.echo(f"{len(waiting)} thread(s) waiting")
