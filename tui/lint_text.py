"""The lint's findings as text: ``retrace lint``'s lines and the debugger's Graph tab section.
Every string goes through :func:`tui.safe_text.literal` (names come from the graph's source)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.text import Text

from engine.lint import Finding
from tui.safe_text import literal


def shown_path(path: str) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def finding_text(finding: Finding) -> tuple[str, str]:
    """(``file:line: R1 error channel: message``, ``    fix: ...``) as plain strings."""
    where = f"{shown_path(finding.file)}:{finding.line}: " if finding.file and finding.line else ""
    what = f"{finding.channel}: " if finding.channel else ""
    return f"{where}{finding.rule} {finding.severity} {what}{finding.message}", f"    fix: {finding.fix}"


def summary(findings: Sequence[Finding]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    return f"{errors} error(s), {len(findings) - errors} warning(s)"


def lint_lines(findings: Sequence[Finding], styles: Mapping[str, str]) -> list[Text]:
    """The Graph tab's lint section: a heading, then each finding and its fix."""
    lines = [literal(f"Lint (retrace lint): {summary(findings)}", style=styles.get("key", ""))]
    if not findings:
        lines.append(literal("  nothing found: no channel two tasks of one super-step can both write", style=styles.get("muted", "")))
    for finding in findings:
        text, fix = finding_text(finding)
        style = styles.get("error", "") if finding.severity == "error" else ""
        lines += [literal(text, style=style, limit=2000), literal(fix, style=styles.get("muted", ""), limit=1000)]
    return lines
