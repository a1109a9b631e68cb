"""A loopback HTTP file server for tests (127.0.0.1 only, never the network).

Usage from any conftest::

    from helpers.httpserver import LoopbackServer, closed_port   # see tests/assets/conftest.py

    with LoopbackServer(tmp_path) as server:
        (server.root / "a.bin").write_bytes(b"...")
        url = server.url("a.bin")
        server.fail("a.bin", 404)          # every request answers 404
        server.fail("a.bin", 503, times=2) # the next two answer 503, then the file
        server.count("a.bin")              # GET requests seen for that path
"""

from __future__ import annotations

import functools
import socket
import threading
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlparse


class LoopbackServer:
    """Serves the files under ``root`` on http://127.0.0.1:<free port>/ from a thread."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: Counter[str] = Counter()
        self._failures: dict[str, list] = {}  # path -> [status, remaining or None]
        self._lock = threading.Lock()
        handler = functools.partial(_Handler, self, directory=str(self.root))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        # A short poll keeps shutdown() (once per test) from costing the default 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (relative to ``root``)."""
        return f"http://127.0.0.1:{self.port}/{quote(path.lstrip('/'))}"

    def fail(self, path: str, status: int = 404, times: int | None = None) -> None:
        """Answer ``status`` for ``path``: always, or only for the next ``times`` requests."""
        with self._lock:
            self._failures[path.lstrip("/")] = [status, times]

    def count(self, path: str) -> int:
        """Number of GET/HEAD requests received for ``path``."""
        with self._lock:
            return self.requests[path.lstrip("/")]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _record(self, path: str) -> int | None:
        """Count a request; return the status to fail it with, if any."""
        with self._lock:
            self.requests[path] += 1
            rule = self._failures.get(path)
            if rule is None:
                return None
            status, remaining = rule
            if remaining is not None:
                if remaining <= 0:
                    return None
                rule[1] = remaining - 1
            return status


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, server_obj: LoopbackServer, *args, **kwargs):
        self._owner = server_obj
        super().__init__(*args, **kwargs)

    def _maybe_fail(self) -> bool:
        path = unquote(urlparse(self.path).path).lstrip("/")
        status = self._owner._record(path)
        if status is None:
            return False
        self.send_error(status)
        return True

    def do_GET(self):
        if not self._maybe_fail():
            super().do_GET()

    def do_HEAD(self):
        if not self._maybe_fail():
            super().do_HEAD()

    def log_message(self, format, *args):  # keep pytest output clean
        pass


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound then released), for 'unreachable' tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
