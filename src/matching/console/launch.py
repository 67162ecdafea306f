"""``matching serve`` started from Python: in its own process on a free loopback port,
with the address and start secret it printed (for notebooks, benchmarks and tests).

>>> with serve_in_background("console-data") as console:      # doctest: +SKIP
...     console.client().get("/api/programmes").json()
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from matching.console.guard import START_SECRET_PARAMETER

#: How ``matching serve`` announces itself on its first line of standard error.
ANNOUNCEMENT = "matching console on {address} (data in {data}); Ctrl-C stops it"

#: The address and secret in that line.
ANNOUNCED = re.compile(rf"matching console on (http://[^/\s]+)/(?:\?{START_SECRET_PARAMETER}"
                       r"=(\S+))?")

#: How long a console may take to answer once started.
START_SECONDS = 60.0
#: How often it is asked meanwhile.
POLL_SECONDS = 0.1


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServedConsole:
    """A console running in its own process.

    Attributes
    ----------
    process
        The ``matching serve`` process.
    url
        Its address, ``http://127.0.0.1:PORT``.
    secret
        Its start secret (``""`` for a console on a network address).
    """

    process: subprocess.Popen
    url: str
    secret: str

    @property
    def entry(self) -> str:
        """The address that lets a browser in (as printed)."""
        return f"{self.url}/?{START_SECRET_PARAMETER}={self.secret}" if self.secret \
            else f"{self.url}/"

    @property
    def headers(self) -> dict[str, str]:
        """The header a script sends with the start secret."""
        return {"Authorization": f"{START_SECRET_PARAMETER} {self.secret}"} if self.secret \
            else {}

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An HTTP client of the console, holding the start secret."""
        return httpx.Client(base_url=self.url, timeout=timeout, headers=self.headers)

    def stop(self) -> None:
        """Stop the console (and wait for it)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self) -> ServedConsole:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def _drain(process: subprocess.Popen, into: Path | None) -> None:
    """Read a console's standard error to its end, keeping it in ``into`` if given."""
    if process.stderr is None:
        return
    if into is None:
        process.stderr.read()
        return
    with into.open("a", encoding="utf-8") as kept:
        for line in process.stderr:
            kept.write(line)
            kept.flush()


def serve_in_background(data: str | Path, *options: str, port: int | None = None,
                        cwd: str | Path | None = None, own_group: bool = False,
                        env: dict[str, str] | None = None,
                        errors_to: Path | None = None) -> ServedConsole:
    """Start ``matching serve --data DATA OPTIONS`` on 127.0.0.1 and return once it answers
    (``own_group``: in a process group of its own, with the runs it starts; ``env``: its
    environment, such as another source tree first on ``PYTHONPATH``; ``errors_to``: a
    file that keeps what it says on standard error after its first line).

    Raises
    ------
    RuntimeError
        If it stops, or does not answer within :data:`START_SECONDS`.
    """
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "matching.cli", "serve", "--port",
                                str(port), "--data", str(data), *options],
                               stderr=subprocess.PIPE, text=True, cwd=cwd,
                               start_new_session=own_group, env=env)
    first = process.stderr.readline() if process.stderr else ""
    found = ANNOUNCED.search(first)
    if found is None:
        process.kill()
        rest = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"matching serve did not start: {first}{rest}".strip())
    # read on, so that warnings never fill the pipe and stall the console
    threading.Thread(target=_drain, args=(process, errors_to), daemon=True).start()
    served = ServedConsole(process, found.group(1), found.group(2) or "")
    end = time.monotonic() + START_SECONDS
    while True:
        try:
            httpx.get(f"{served.url}/login", timeout=2)
            return served
        except httpx.TransportError as exc:
            if process.poll() is not None or time.monotonic() > end:
                served.stop()
                raise RuntimeError("matching serve did not answer") from exc
            time.sleep(POLL_SECONDS)
