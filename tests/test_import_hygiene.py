"""The engine, the savers and the sample graphs must import without the TUI stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = (
    "import engine, engine.graph, engine.checkpoint.sqlite, engine.checkpoint.memory, sample_graphs.demo; "
    "import sys; "
    "ui = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')); "
    "assert not ui, ui"
)


def test_engine_imports_no_tui_modules():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
