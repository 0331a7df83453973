"""Hostile checkpoint databases, made by code at test time from a demo database.

Each case is what an attacker or an unlucky user could hand retrace: a file retrace wrote and
someone then edited with SQL, or a file left by a killed writer. The tests run the CLI and the
debugger over every case (``test_hostile_cli.py``, ``test_hostile_tui.py``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.checkpoint.sqlite.schema import APPLICATION_ID, SCHEMA_VERSION

OSC_TITLE = "\x1b]0;PWNED\x07"
OSC_CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
BIG = 12_000_000
"""Characters of the oversized values (the bug reports used 50 M; what matters is that it is far
over every limit of the reader: 4,096 characters for an id, 8 MiB for a value)."""


def sql(path: Path, *statements: str, params: tuple = ()) -> None:
    """Run statements on ``path`` as a plain sqlite3 client would (checks off, schema writable)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
    finally:
        conn.close()


def osc_in_schema(path: Path) -> None:
    sql(
        path,
        "PRAGMA writable_schema = ON",
        "INSERT INTO sqlite_schema VALUES('table', ?, 'x', 0, 'CREATE TABLE nonsense (')",
        params=(OSC_TITLE + OSC_CLIPBOARD,),
    )


def invalid_utf8_thread_id(path: Path) -> None:
    for table in ("threads", "checkpoints", "channel_values", "pending_writes"):
        sql(path, f"UPDATE {table} SET thread_id = CAST(X'1b5d303b50574e45440741ff' AS TEXT) "
                  "WHERE thread_id = 'calc-add'")


def escape_lookalikes(path: Path) -> None:
    sql(path, "UPDATE threads SET thread_id = 'real' || char(27) || 'x' WHERE thread_id = 'calc-add'")
    sql(path, "UPDATE threads SET thread_id = 'real\\x1bx' WHERE thread_id = 'bob_session_1'")


def bad_tags(path: Path) -> None:
    uuid_tag = '{"__retrace__":"uuid","value":1}'
    sql(path, f"UPDATE threads SET error = '{uuid_tag}' WHERE thread_id = 'search-buggy'")
    sql(path, "UPDATE checkpoints SET metadata = json_set(metadata, '$.bad', json(?)) "
              "WHERE thread_id = 'calc-add'", params=(uuid_tag,))
    sql(path, "UPDATE channel_values SET value = ? WHERE thread_id = 'alice_session_1'",
        params=('{"__retrace__":"datetime","value":[1]}',))


def huge_integers(path: Path) -> None:
    sql(path, "UPDATE threads SET checkpoint_count = '9e999', latest_step = 'x' WHERE thread_id = 'calc-add'")
    sql(path, "UPDATE checkpoints SET step = '9e999' WHERE thread_id = 'calc-add'")


def deep_json(path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    sql(path, "UPDATE checkpoints SET next_nodes = ?, channel_versions = ? WHERE thread_id = 'calc-add'",
        params=(deep, deep))
    sql(path, "UPDATE channel_values SET value = ? WHERE thread_id = 'search-fixed'", params=(deep,))


def unprintable_json_errors(path: Path) -> None:
    tuple_keyed = '{"__retrace__":"dict","items":[[{"__retrace__":"tuple","items":[1,2]},"x"]]}'
    nan = '{"type":"E","message":{"__retrace__":"float","value":"nan"}}'
    sql(path, "UPDATE threads SET status = 'error', error = ? WHERE thread_id = 'calc-add'", params=(tuple_keyed,))
    sql(path, "UPDATE threads SET status = 'error', error = ? WHERE thread_id = 'search-fixed'", params=(nan,))


def bad_pending_writes(path: Path) -> None:
    sql(path, "UPDATE pending_writes SET idx = 'x' || idx WHERE thread_id = 'bob_session_1'")
    sql(path, "UPDATE pending_writes SET channel = CAST(channel AS BLOB) WHERE thread_id = 'alice_session_1'")
    sql(path, "UPDATE pending_writes SET value = 12 WHERE thread_id = 'search-buggy'")


def deep_error(path: Path) -> None:
    deep = "[" * 900 + "]" * 900  # under JSON's own nesting limit, over what a walk can recurse
    sql(path, "UPDATE threads SET error = ? WHERE thread_id = 'search-buggy'",
        params=(f'{{"type": "E", "message": {deep}}}',))
    sql(path, "UPDATE channel_values SET value = ? WHERE thread_id = 'calc-add'", params=(deep,))


def huge_error(path: Path) -> None:
    sql(path, f"UPDATE threads SET error = json_object('type', 'E', 'message', printf('%.*c', {BIG}, char(27))) "
              "WHERE thread_id = 'search-buggy'")


def huge_thread_id(path: Path) -> None:
    sql(path, f"UPDATE threads SET thread_id = printf('%.*c', {BIG}, char(27)) WHERE thread_id = 'calc-add'")


def huge_channel_value(path: Path) -> None:
    sql(path, f"UPDATE channel_values SET value = json_quote(printf('%.*c', {BIG // 5}, char(7))) "
              "WHERE thread_id = 'alice_session_1'")


def one_bad_row(path: Path) -> None:
    sql(path, "UPDATE checkpoints SET metadata = 'garbage', channel_versions = X'00ff', versions_seen = 3, "
              "pending_sends = '[' WHERE thread_id = 'calc-add' AND step = 1")


def wrong_types_everywhere(path: Path) -> None:
    sql(path, "UPDATE checkpoints SET checkpoint_ns = 7 WHERE thread_id = 'search-fixed' AND step = 0")
    sql(path, "UPDATE checkpoints SET source = X'1b5b324a', created_at = 3.5, parent_checkpoint_id = X'ff' "
              "WHERE thread_id = 'calc-add'")
    sql(path, "UPDATE threads SET status = 'exploded', updated_at = X'00', created_at = X'1b' "
              "WHERE thread_id = 'calc-two-questions'")
    sql(path, "UPDATE retrace_meta SET value = X'1b5d303b50574e45440741ff'")


HOSTILE_ROWS: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        invalid_utf8_thread_id, escape_lookalikes, bad_tags, huge_integers, deep_json,
        unprintable_json_errors, bad_pending_writes, deep_error, huge_error, huge_thread_id, huge_channel_value,
        one_bad_row, wrong_types_everywhere,
    )
}
"""Cases a reader must open and show (exit code 0), damaged rows marked."""

REFUSED: dict[str, Callable[[Path], None]] = {f.__name__: f for f in (osc_in_schema,)}
"""Cases a reader must refuse with one line (exit code 2)."""


@dataclass(frozen=True)
class Files:
    """The main file's digest and the ``-wal``'s bytes (None: absent), and whether a ``-shm``
    exists: what a reader must leave alone."""

    digest: str
    wal: bytes | None
    shm_exists: bool

    @classmethod
    def of(cls, path: Path) -> Files:
        wal = Path(f"{path}-wal")
        return cls(
            hashlib.sha256(path.read_bytes()).hexdigest(),
            wal.read_bytes() if wal.exists() else None,
            Path(f"{path}-shm").exists(),
        )

    def left_alone_by(self, later: Files) -> bool:
        """True when nothing was changed or deleted. A reader of a WAL database may create the
        ``-shm`` (and an empty ``-wal``) SQLite needs to read it, where the directory allows."""
        wal_kept = later.wal == self.wal or (self.wal is None and later.wal == b"")
        return later.digest == self.digest and wal_kept and (later.shm_exists or not self.shm_exists)


def copy_demo(demo: Path, dest: Path) -> Path:
    shutil.copyfile(demo, dest)
    return dest


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sqlite3, sys
    path, kind = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    if kind == "retrace":
        for i in range(3):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO threads (thread_id, checkpoint_count, created_at, updated_at, status) "
                "VALUES (?, 0, '2026-01-01', '2026-12-31', 'pending')", (f"only-in-wal-{i}",))
            conn.execute("COMMIT")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        if kind == "foreign":
            conn.execute("CREATE TABLE notes (body TEXT)")
        else:
            conn.execute("PRAGMA application_id = APPLICATION_ID")
            conn.execute("PRAGMA user_version = NEWER_VERSION")
        conn.execute("BEGIN")
        conn.execute("CREATE TABLE IF NOT EXISTS filler (x)")
        conn.execute("INSERT INTO filler VALUES (1)")
        conn.execute("COMMIT")
    os.kill(os.getpid(), signal.SIGKILL)
    """
).replace("APPLICATION_ID", str(APPLICATION_ID)).replace("NEWER_VERSION", str(SCHEMA_VERSION + 1))


def killed_writer(path: Path, kind: str) -> None:
    """Leave ``path`` as a writer killed after committing: its ``-wal`` (and ``-shm``) remain.

    ``kind``: ``"retrace"`` adds threads to a retrace database (they exist only in the -wal);
    ``"foreign"`` makes another program's WAL database; ``"newer"`` one from a newer retrace.
    """
    done = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(path), kind], check=False)
    assert done.returncode == -9, done
    assert Path(f"{path}-wal").exists()


def interrupted_creation(path: Path) -> None:
    """What a writer killed while making the schema leaves: a WAL-mode file with no tables."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()


def read_only_prefix(folder: Path) -> list[str]:
    """A command prefix that runs a command with ``folder`` read-only to it.

    Root ignores file permissions, so as root the command runs in its own mount namespace with
    ``folder`` bind-mounted read-only (writes fail with EROFS); otherwise the folder and its
    files lose their write bits.
    """
    if os.geteuid() != 0:
        for item in folder.iterdir():
            item.chmod(0o444)
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a directory read-only to root")
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh"]
