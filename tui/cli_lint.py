"""``retrace lint GRAPH``: the concurrency-safety lint (:mod:`engine.lint`) from the command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from engine.debug.attach import GraphLoadError, load_graph
from engine.debug.source import open_source
from engine.errors import EngineError
from engine.lint import DEFAULT_RULES, RULES, Finding, lint
from engine.lint.observed import observed_runs
from engine.lint.rules import Observed
from tui.cli_errors import fail
from tui.lint_text import finding_text, summary
from tui.safe_text import escape_control


def finding_lines(finding: Finding) -> list[str]:
    """A finding for a terminal: ``path:line: R1 error channel: message``, then its fix."""
    return [escape_control(line, limit=4000) for line in finding_text(finding)]


async def _observed(db: Path, ref: str) -> tuple[Observed, int]:
    reader = await open_source(db)
    try:
        return await observed_runs(reader, ref)
    finally:
        await reader.close()


@click.command(name="lint")
@click.argument("ref", metavar="GRAPH")
@click.option("--db", "db", default=None, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Also use what the runs recorded in this database wrote (read only).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON, for CI.")
@click.option("--rules", "rules", default=None, metavar="R1,R2,...",
              help=f"The rules to check (default {','.join(DEFAULT_RULES)}; R3 checks the fields' safety comments).")
def lint_command(ref: str, db: Path | None, as_json: bool, rules: str | None) -> None:
    """Find the state fields of GRAPH (module:attr) that two tasks of one super-step can write
    without a reducer, and other concurrency hazards (seed 002's rules), without running it.
    The module is imported, so its top-level code runs. Exit code 0 no error, 1 errors, 2 bad
    arguments."""
    wanted = DEFAULT_RULES if rules is None else tuple(r.strip().upper() for r in rules.split(",") if r.strip())
    if unknown := [r for r in wanted if r not in RULES]:
        fail(f"unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(RULES)}")
    try:
        graph = load_graph(ref)
    except GraphLoadError as exc:
        fail(str(exc))
    observed, threads = Observed(), 0
    if db is not None:
        try:
            observed, threads = asyncio.run(_observed(db, ref))
        except (EngineError, OSError) as exc:
            fail(f"cannot read {db}: {exc}")
    findings = lint(graph, observed, rules=wanted)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        click.echo(json.dumps({"graph": ref, "threads_read": threads, "findings": [f.to_data() for f in findings]},
                              indent=2, ensure_ascii=True, default=str))
    else:
        for finding in findings:
            for line in finding_lines(finding):
                click.echo(line)
        seen = f" (and what {threads} recorded thread(s) wrote)" if db is not None else ""
        click.echo(escape_control(f"{ref}{seen}: {summary(findings)}"))
    sys.exit(1 if errors else 0)
