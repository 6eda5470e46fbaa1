"""Reading stdin: a complete object is used at once, a slow or huge stdin never costs the line."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

import pytest
from helpers.cli import Home, snapshot_with, statusline_stdin, window
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.run import stdin

Feed = Callable[[IO[bytes], threading.Event], None]


def run_fed(home: Home, feed: Feed, *args: str) -> tuple[int, str, float, float]:
    """Run quotaline with ``feed`` writing its stdin (the pipe stays open until the process ends).

    Returns exit code, stdout, seconds to the first output line, seconds until the process ended.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "statusline", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=home.env,
        cwd=home.root,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stop = threading.Event()

    def writer() -> None:
        try:
            feed(proc.stdin, stop)  # type: ignore[arg-type]
            stop.wait(30)  # keep the pipe open: that is the point
        except (BrokenPipeError, ValueError, OSError):
            pass

    t0 = time.monotonic()
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    first = proc.stdout.readline()
    t_line = time.monotonic() - t0
    rest = proc.stdout.read()
    code = proc.wait(timeout=30)
    t_end = time.monotonic() - t0
    stop.set()
    thread.join(5)
    with contextlib.suppress(OSError, ValueError):  # bytes left in its buffer: the reader is gone
        proc.stdin.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert "Traceback" not in err
    return code, (first + rest).decode(), t_line, t_end


def whole(data: bytes) -> Feed:
    def feed(pipe: IO[bytes], stop: threading.Event) -> None:
        pipe.write(data)
        pipe.flush()

    return feed


def trickle(data: bytes, every: float, forever: bool = False) -> Feed:
    def feed(pipe: IO[bytes], stop: threading.Event) -> None:
        while True:
            for i in range(len(data)):
                if stop.is_set():
                    return
                pipe.write(data[i : i + 1])
                pipe.flush()
                time.sleep(every)
            if not forever:
                return

    return feed


def stdin_bytes(five: float = 42, seven: float = 17, **kw: object) -> bytes:
    return json.dumps(statusline_stdin(five, seven, **kw)).encode()  # type: ignore[arg-type]


def test_a_complete_object_on_a_pipe_left_open_is_drawn_at_once(home: Home) -> None:
    code, out, t_line, t_end = run_fed(home, whole(stdin_bytes(42, 17)), "statusline")
    assert code == 0 and "5h 42%" in out and "7d 17%" in out
    assert t_line < 0.3 and t_end < 0.3  # before: 1.5 s, the whole stdin.WAIT_S


def test_an_object_split_over_many_writes_with_pauses_is_drawn_right_after_the_last(home: Home) -> None:
    data = stdin_bytes(61, 17)
    last_write = [0.0]

    def feed(pipe: IO[bytes], stop: threading.Event) -> None:
        step = len(data) // 12 + 1
        for i in range(0, len(data), step):
            pipe.write(data[i : i + step])
            pipe.flush()
            last_write[0] = time.monotonic()
            time.sleep(0.02)

    t0 = time.monotonic()
    code, out, t_line, _ = run_fed(home, feed, "statusline")
    assert code == 0 and "5h 61%" in out
    # The pauses cost their own 0.24 s; after the closing brace nothing is waited for.
    assert t0 + t_line - last_write[0] < 0.15


def test_a_trickled_stdin_still_gives_the_snapshot_line_within_the_budget(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 33), window("seven_day", 12)))
    code, out, _, t_end = run_fed(home, trickle(stdin_bytes(42, 17), 0.01), "statusline")
    assert code == 0 and "5h 33%" in out and "unavailable" not in out
    assert t_end < stdin.STATUSLINE_S + 0.5  # before: 1.5 s and `quotaline: unavailable`


def test_a_never_ending_trickle_exits_with_a_line_within_the_budget(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 33)))
    code, out, _, t_end = run_fed(home, trickle(b'{"a": [' + b"1, " * 1000, 0.001, forever=True), "statusline")
    assert code == 0 and "5h 33%" in out
    assert t_end < stdin.STATUSLINE_S + 0.5


def test_a_never_ending_trickle_lets_the_hook_answer_well_inside_its_timeout(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    code, out, _, t_end = run_fed(home, trickle(b" ", 0.005, forever=True), "hook", "user-prompt-submit")
    assert code == 0 and json.loads(out)["systemMessage"].startswith("5-hour window at 93%")
    assert t_end < stdin.HOOK_S + 1.0 < 5


def test_a_small_object_trickled_a_byte_per_10_ms_reaches_the_hook(home: Home) -> None:
    # The hook's budget fits a short object at this pace: its session id makes the dedupe work.
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    data = b'{"session_id":"trickled-1"}'
    code, out, _, t_end = run_fed(home, trickle(data, 0.01), "hook", "user-prompt-submit")
    assert code == 0 and "93%" in json.loads(out)["systemMessage"]
    assert t_end < len(data) * 0.01 + 0.6  # done right after the closing brace
    assert "trickled-1" in home.snapshot()["warned"]
    code, out, _, _ = run_fed(home, trickle(data, 0.01), "hook", "user-prompt-submit")
    assert code == 0 and out == ""  # the same session is not told twice


@pytest.mark.parametrize("leave_open", [False, True], ids=["closed", "left open"])
def test_a_3_mib_object_with_rate_limits_at_the_end_is_read(home: Home, leave_open: bool) -> None:
    # Claude Code may grow its payload; before, anything over 1 MiB gave `quotaline: unavailable`.
    payload = statusline_stdin(77, 17)
    limits = payload.pop("rate_limits")
    payload["padding"] = [{"k": "x" * 30} for _ in range(3 * (1 << 20) // 40)]
    payload["rate_limits"] = limits
    data = json.dumps(payload).encode()
    assert len(data) > 3 << 20
    if leave_open:
        code, out, _, t_end = run_fed(home, whole(data), "statusline")
    else:
        result = home.run("statusline", stdin=data)
        code, out, t_end = result.code, result.out, result.seconds
    assert code == 0 and "5h 77%" in out
    assert t_end < 1.0


def test_a_3_mib_object_of_many_closing_braces_costs_no_repeated_parses(home: Home) -> None:
    # Every chunk may end in "}" without the object being complete: parse attempts are rationed.
    payload = {"padding": [{} for _ in range(1 << 20)], **statusline_stdin(64, 17)}
    data = json.dumps(payload, separators=(",", ":")).encode()

    def feed(pipe: IO[bytes], stop: threading.Event) -> None:
        for i in range(0, len(data), 4096):
            pipe.write(data[i : i + 4096])
            pipe.flush()

    code, out, _, t_end = run_fed(home, feed, "statusline")
    assert code == 0 and "5h 64%" in out and t_end < 1.0


def test_stdin_over_the_cap_gives_the_snapshot_line(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 33)))
    code, out, _, t_end = run_fed(home, whole(b'{"a":"' + b"x" * (stdin.MAX_BYTES + 10)), "statusline")
    assert code == 0 and "5h 33%" in out and t_end < 2.0


@contextmanager
def pipe_as_stdin() -> Iterator[int]:
    """A real pipe in place of this process's stdin; yields its write end."""
    r, w = os.pipe()
    saved = sys.stdin
    sys.stdin = os.fdopen(r, "rb")  # type: ignore[assignment]
    try:
        yield w
    finally:
        sys.stdin.close()
        sys.stdin = saved
        os.close(w)


@settings(max_examples=40, deadline=None)
@given(
    value=st.dictionaries(
        st.text(max_size=5),
        st.recursive(
            st.none() | st.integers() | st.text(alphabet='{}[]"\\ ab', max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
            max_leaves=10,
        ),
        max_size=4,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_any_object_written_in_any_pieces_is_returned_whole_without_waiting(value: dict, cuts: list[int]) -> None:
    # Braces inside strings and nested objects end many prefixes in "}" that are not complete.
    data = json.dumps(value).encode() + b"\n"
    points = sorted({c % len(data) for c in cuts} | {len(data)})
    with pipe_as_stdin() as w:

        def feed() -> None:
            start = 0
            for p in points:
                os.write(w, data[start:p])
                start = p
                time.sleep(0.002)

        thread = threading.Thread(target=feed)
        thread.start()
        t0 = time.monotonic()
        got = stdin.read_all(2.0)
        elapsed = time.monotonic() - t0
        thread.join()
    assert json.loads(got) == value
    assert elapsed < 0.5  # the pipe is still open: only the parse said "done"


def test_a_prefix_that_parses_only_as_garbage_is_not_taken_for_an_object() -> None:
    with pipe_as_stdin() as w:
        os.write(w, b'{"a": "}"')
        t0 = time.monotonic()
        assert stdin.read_all(0.2) == b""  # incomplete when the budget ran out: no half object
        assert 0.15 < time.monotonic() - t0 < 0.5
