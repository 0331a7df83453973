"""The command line over the hostile corpus: exit code 0 or 2, one line on error, no traceback,
no raw ESC or BEL in anything printed, and the file left exactly as it was.

The commands run in real processes (what reaches a terminal is what is checked), with a
timeout, so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import hostile_corpus as corpus
import pytest
from click.testing import CliRunner

from tui.cli import main

RETRACE = [sys.executable, "-c", "from tui.cli import main; main()"]
TIMEOUT_S = 60


def retrace(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*prefix, *RETRACE, *args], capture_output=True, timeout=TIMEOUT_S,
        cwd=Path(__file__).parent.parent, check=False,
    )


def assert_clean(done: subprocess.CompletedProcess[bytes], *, exit_codes: tuple[int, ...] = (0, 2)) -> None:
    """The run ended on purpose and printed nothing a terminal would act on."""
    out, err = done.stdout, done.stderr
    assert done.returncode in exit_codes, (done.returncode, err[-2000:])
    assert b"Traceback (most recent call last)" not in err  # stdout may quote a stored one
    for stream in (out, err):
        assert b"\x1b" not in stream and b"\x07" not in stream
    if done.returncode == 2:
        lines = err.decode("utf-8", "replace").splitlines()
        assert len(lines) == 1 and lines[0].startswith("retrace: error: "), lines


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    from sample_graphs.demo import write_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(write_demo_database(path))
    return path


def in_process(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run retrace in this process (fast); the bytes it wrote, as a subprocess would report them."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout_bytes, result.stderr_bytes)


def every_command(path: Path, thread_ids: list[str], run=retrace) -> list[subprocess.CompletedProcess[bytes]]:
    runs = [run("threads", str(path)), run("threads", str(path), "--json")]
    for thread_id in thread_ids:
        runs += [run("history", str(path), thread_id), run("history", str(path), thread_id, "--json")]
    return runs


@pytest.mark.parametrize("case", sorted(corpus.HOSTILE_ROWS))
def test_hostile_rows_are_read_and_shown_safely(case: str, demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "hostile.db")
    corpus.HOSTILE_ROWS[case](path)
    before = corpus.Files.of(path)
    listing = in_process("threads", str(path), "--json")
    assert_clean(listing, exit_codes=(0,))
    threads = json.loads(listing.stdout)  # always valid JSON
    assert threads
    shown_ids = [t["thread_id"] for t in threads if len(t["thread_id"]) < 200]
    for done in every_command(path, shown_ids, run=in_process):
        assert_clean(done, exit_codes=(0,))
    assert before.left_alone_by(corpus.Files.of(path))


def test_a_thread_error_with_a_bad_uuid_tag_shows_as_unreadable(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.bad_tags(path)
    threads = {t["thread_id"]: t for t in json.loads(retrace("threads", str(path), "--json").stdout)}
    buggy = threads["search-buggy"]
    assert buggy["error"]["type"] == "unreadable error"
    assert "malformed 'uuid' value" in buggy["error"]["message"]
    assert buggy["damage"]
    history = json.loads(retrace("history", str(path), "calc-add", "--json").stdout)
    assert len(history) > 1  # the bad tag in the metadata did not hide the thread


def test_json_output_stays_valid_with_tuple_keys_and_nan_in_errors(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.unprintable_json_errors(path)
    done = retrace("threads", str(path), "--json")
    assert b"NaN" not in done.stdout
    threads = {t["thread_id"]: t for t in json.loads(done.stdout)}
    assert threads["search-fixed"]["error"]["message"] == "(unreadable: nan)"  # not text: marked
    assert "the error's message is not text" in threads["search-fixed"]["damage"]
    assert threads["calc-add"]["error"]["message"].startswith("{(1, 2): 'x'}")


def test_huge_numbers_and_deep_json_mark_the_row_damaged(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.huge_integers(path)
    corpus.deep_json(path)
    threads = {t["thread_id"]: t for t in json.loads(retrace("threads", str(path), "--json").stdout)}
    assert any("checkpoint count is not a whole number" in d for d in threads["calc-add"]["damage"])
    history = json.loads(retrace("history", str(path), "calc-add", "--json").stdout)
    assert all(row["step"] == 0 and row["damage"] for row in history)
    assert any("next nodes is not valid JSON" in d for d in history[0]["damage"])


def test_a_real_escape_and_its_spelling_look_different(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.escape_lookalikes(path)
    text = retrace("threads", str(path)).stdout.decode()
    assert "real\\x1bx" in text  # the real ESC, spelled out
    assert "real\\\\x1bx" in text  # the four characters \x1b, their backslash doubled


def test_invalid_utf8_thread_ids_are_shown_escaped_and_can_be_browsed(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.invalid_utf8_thread_id(path)
    done = retrace("threads", str(path))
    assert_clean(done, exit_codes=(0,))
    assert "\\x1b]0;PWNED\\x07A\\udcff" in done.stdout.decode()
    listing = json.loads(retrace("threads", str(path), "--json").stdout)
    bad = next(t for t in listing if "PWNED" in t["thread_id"])
    assert any("not valid UTF-8" in d for d in bad["damage"])


def peak_rss_kib(*args: str) -> tuple[int, bytes]:
    """Run retrace; its exit status and its own peak resident memory (KiB)."""
    child = subprocess.Popen([*RETRACE, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             cwd=Path(__file__).parent.parent)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    return usage.ru_maxrss, out


def test_oversized_values_are_not_read_whole(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.huge_error(path)  # 300 MB of JSON text: 50 M escape characters, 6 bytes each
    corpus.huge_thread_id(path)
    done = retrace("threads", str(path), "--json")
    assert_clean(done, exit_codes=(0,))
    threads = json.loads(done.stdout)
    buggy = next(t for t in threads if t["thread_id"] == "search-buggy")
    assert "too large to read (over 262,144 bytes" in buggy["error"]["message"]
    long_id = next(t for t in threads if t["thread_id"].startswith("\x1b"))
    assert len(long_id["thread_id"]) == 4096 and long_id["damage"]


def test_an_oversized_error_costs_sqlite_one_read_and_python_nothing(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.huge_error(path)
    grown_kib = (path.stat().st_size - demo.stat().st_size) // 1024
    baseline, _ = peak_rss_kib("threads", str(demo))
    peak, out = peak_rss_kib("threads", str(path))
    assert b"search-buggy" in out
    # SQLite loads the value once to measure it, and it never reaches Python (the reader used to
    # decode it whole: 1.2 GB for a 300 MB error)
    assert peak - baseline < 1.5 * grown_kib


def test_a_schema_that_quotes_escape_sequences_is_refused_in_one_neutral_line(demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "h.db")
    corpus.osc_in_schema(path)
    before = corpus.Files.of(path)
    for done in every_command(path, ["calc-add"]):
        assert_clean(done, exit_codes=(2,))
        assert b"\\x1b]0;PWNED\\x07" in done.stderr
    assert before.left_alone_by(corpus.Files.of(path))


def test_history_limit_is_validated_at_the_boundary(demo: Path) -> None:
    done = retrace("history", str(demo), "calc-add", "--limit", "99999999999999999999")
    assert_clean(done, exit_codes=(2,))  # one line, like every other error
    assert b"1<=x<=1000000000" in done.stderr and b"retrace history --help" in done.stderr


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.db"
    os.mkfifo(fifo)
    done = retrace("threads", str(fifo))
    assert_clean(done, exit_codes=(2,))
    assert b"not a regular file" in done.stderr


def test_an_interrupted_creation_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "half.db"
    corpus.interrupted_creation(path)
    before = corpus.Files.of(path)
    done = retrace("threads", str(path))
    assert_clean(done, exit_codes=(2,))
    assert b"creation was interrupted" in done.stderr
    assert before.left_alone_by(corpus.Files.of(path))


@pytest.mark.parametrize("shm", ["kept", "deleted"])
def test_a_leftover_wal_is_read_and_left_in_place(shm: str, demo: Path, tmp_path: Path) -> None:
    path = corpus.copy_demo(demo, tmp_path / "killed.db")
    corpus.killed_writer(path, "retrace")
    if shm == "deleted":
        Path(f"{path}-shm").unlink()
    before = corpus.Files.of(path)
    done = retrace("threads", str(path), "--json")
    assert_clean(done, exit_codes=(0,))
    ids = {t["thread_id"] for t in json.loads(done.stdout)}
    assert {"only-in-wal-0", "only-in-wal-2", "calc-add"} <= ids  # the committed rows in the -wal
    assert before.left_alone_by(corpus.Files.of(path))
    assert retrace("threads", str(path)).returncode == 0
    assert before.left_alone_by(corpus.Files.of(path))


@pytest.mark.parametrize("kind, words", [("foreign", b"not one retrace wrote"), ("newer", b"newer retrace")])
def test_a_refused_file_with_a_leftover_wal_is_left_untouched(kind: str, words: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    corpus.killed_writer(path, kind)
    before = corpus.Files.of(path)
    for args in (["threads", str(path)], ["history", str(path), "t"], ["demo", "--db", str(path), "--no-open"]):
        done = retrace(*args)
        assert_clean(done, exit_codes=(2,))
        assert words in done.stderr or b"not made by `retrace demo`" in done.stderr
    assert before.left_alone_by(corpus.Files.of(path))


@pytest.mark.parametrize("leftover", ["none", "wal", "wal-without-shm"])
def test_a_database_in_a_read_only_directory_opens(leftover: str, demo: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="retrace-ro-"))
    try:
        path = corpus.copy_demo(demo, folder / "ro.db")
        if leftover != "none":
            corpus.killed_writer(path, "retrace")
        if leftover == "wal-without-shm":
            Path(f"{path}-shm").unlink()
        names = sorted(p.name for p in folder.iterdir())
        before = corpus.Files.of(path)
        done = retrace("threads", str(path), "--json", prefix=tuple(corpus.read_only_prefix(folder)))
        assert_clean(done, exit_codes=(0,))
        ids = {t["thread_id"] for t in json.loads(done.stdout)}
        assert "calc-add" in ids
        if leftover != "none":
            assert "only-in-wal-1" in ids  # read from the -wal, whether a -shm was there or not
        assert corpus.Files.of(path) == before
        assert sorted(p.name for p in folder.iterdir()) == names
    finally:
        folder.chmod(stat.S_IRWXU)
        shutil.rmtree(folder)


def test_open_exits_non_zero_when_the_debugger_dies(demo: Path, monkeypatch) -> None:
    from tui.app import RetraceApp

    def dies(self: RetraceApp) -> None:
        self._return_code = 1  # what Textual sets when an exception ends the app

    monkeypatch.setattr(RetraceApp, "run", dies)
    assert CliRunner().invoke(main, ["open", str(demo)]).exit_code == 1
