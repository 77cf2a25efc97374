"""Drive the real ``sfai`` on a pseudo-terminal, as a person at a keyboard would.

``PtyRun(args)`` starts ``sfai ARGS`` with its stdin and stderr on a new pty (so it sees a
terminal and asks for approval there) and its stdout on a pipe (so ``--json`` events stay
clean). ``expect(text)`` waits until the terminal showed ``text`` (ANSI codes removed),
``send(line)`` types a line, ``finish()`` waits for the exit and returns code, stdout and
the whole terminal transcript. ``stdout_on_terminal=True`` puts stdout on the pty too (as
a person running ``sfai ask`` in a terminal has it); ``raw`` is what the terminal received,
escape sequences included. Standard library only (``os.openpty``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from tests.cli import SFAI

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@dataclass
class PtyResult:
    code: int
    stdout: str
    transcript: str
    raw: str


class PtyRun:
    def __init__(
        self, *args: str, env: dict[str, str] | None = None, stdout_on_terminal: bool = False
    ) -> None:
        master, slave = os.openpty()
        environment = {**os.environ, "TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [SFAI, *args],
            stdin=slave,
            stdout=slave if stdout_on_terminal else subprocess.PIPE,
            stderr=slave,
            env={**environment, **(env or {})},
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self._lock = threading.Lock()
        self._screen = ""
        self._raw = ""
        self._stdout = b""
        self._threads = [
            threading.Thread(target=self._read_terminal, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_terminal(self) -> None:
        while True:
            try:
                data = os.read(self._master, 4096)
            except OSError:  # EIO: every process holding the slave has exited
                return
            if not data:
                return
            text = data.decode("utf-8", "replace")
            with self._lock:
                self._raw += text
                self._screen += _ANSI.sub("", text)

    def _read_stdout(self) -> None:
        if self.process.stdout is not None:
            self._stdout = self.process.stdout.read()

    @property
    def raw(self) -> str:
        with self._lock:
            return self._raw

    @property
    def screen(self) -> str:
        with self._lock:
            return self._screen

    def expect(self, text: str, *, count: int = 1, timeout: float = 60.0) -> str:
        """Wait until ``text`` appeared ``count`` times on the terminal; the screen so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen
            if screen.count(text) >= count:
                return screen
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader drain what the process wrote last
                screen = self.screen
                if screen.count(text) >= count:
                    return screen
                raise AssertionError(
                    f"sfai exited ({self.process.returncode}) before showing {text!r} "
                    f"x{count}:\n{screen}\nstdout:\n{self._stdout.decode(errors='replace')}"
                )
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {text!r} x{count}; the terminal:\n{screen}")

    def send(self, line: str) -> None:
        os.write(self._master, (line + "\n").encode())

    def finish(self, timeout: float = 120.0) -> PtyResult:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            raise AssertionError(f"sfai did not finish; the terminal:\n{self.screen}") from None
        for thread in self._threads:
            thread.join(10)
        with contextlib.suppress(OSError):
            os.close(self._master)
        return PtyResult(code, self._stdout.decode("utf-8", "replace"), self.screen, self.raw)

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        with contextlib.suppress(OSError):
            os.close(self._master)
