"""A minimal headless-Chromium driver over the DevTools protocol, standard library only.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol
messages (JSON, NUL-terminated) on file descriptor 3 and writes on 4. No
browser download, no extra Python package: the system ``chromium`` (Debian's
package in CI) is enough. Used by the report's browser test to load a page,
record console errors, exceptions and every network request, evaluate
JavaScript and take a screenshot. One browser serves every browser test of a
test process (the ``browser`` fixture of conftest.py); each page opens in its
own tab (:meth:`Browser.page`), sized as the test asks, and is closed after it.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium executable (``$SW_CHROMIUM`` first), or None."""
    env = os.environ.get("SW_CHROMIUM")
    if env and shutil.which(env):
        return shutil.which(env)
    for c in CANDIDATES:
        p = shutil.which(c)
        if p:
            return p
    return None


@dataclass
class PageRun:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Every console error, uncaught exception and error log entry."""
        return self.console_errors + self.exceptions + self.log_errors


class Browser:
    """Headless Chromium driven over a DevTools pipe (use as a context manager)."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 1600) -> None:
        self.executable = executable
        self.width, self.height = width, height
        self._id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._events: dict[str | None, queue.Queue] = {}  # protocol events, per session (tab)
        self._cond = threading.Condition()
        self._closed = False
        self._targets: dict[str, str] = {}

    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="sw-chromium-")
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()
        # park the child's ends on high numbers so the dup2 onto 3 and 4 cannot clobber them
        a, b = os.dup2(to_child_r, 190), os.dup2(from_child_w, 191)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds() -> None:
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--hide-scrollbars", "--mute-audio", f"--user-data-dir={self._profile}",
            f"--window-size={self.width},{self.height}", "--remote-debugging-pipe", "about:blank",
        ]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            args, preexec_fn=child_fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        os.close(a)
        os.close(b)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self._to_child_w)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                os.close(self._from_child_r)
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._cond:
                        self._responses[msg["id"]] = msg
                        self._cond.notify_all()
                else:
                    self._queue(msg.get("sessionId")).put(msg)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 60) -> dict[str, Any]:
        """Send one protocol command and wait for its result (raises on a protocol error)."""
        self._id += 1
        mid = self._id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while mid not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    self._stderr.seek(0)
                    tail = self._stderr.read()[-2000:].decode(errors="replace")
                    raise TimeoutError(f"no answer to {method} (browser stderr: {tail})")
                self._cond.wait(left)
            resp = self._responses.pop(mid)
        if "error" in resp:
            raise RuntimeError(f"{method}: {resp['error']}")
        return resp.get("result", {})

    def _queue(self, session: str | None) -> queue.Queue:
        with self._cond:
            return self._events.setdefault(session, queue.Queue())

    def _drain(self, run: PageRun, session: str) -> None:
        """Record the events of ``session``'s tab so far in ``run``."""
        while True:
            try:
                ev = self._queue(session).get_nowait()
            except queue.Empty:
                return
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                run.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                run.exceptions.append(str(d.get("exception", {}).get("description") or d.get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                run.log_errors.append(f"{e.get('source')}: {e.get('text')} {e.get('url', '')}".strip())
            elif m == "Network.requestWillBeSent":
                run.requests.append(p.get("request", {}).get("url", ""))
            elif m == "Page.javascriptDialogOpening":  # alert(): record it, then close it so the page goes on
                run.dialogs.append(f"{p.get('type')}: {p.get('message')}")
                self.send("Page.handleJavaScriptDialog", {"accept": True}, session=ev.get("sessionId"))

    def open(self, url: str, *, ready_js: str, timeout: float = 90, width: int | None = None,
             height: int | None = None) -> tuple[str, PageRun]:
        """Open ``url`` in a new tab (``width`` x ``height`` CSS pixels, default the browser's) and wait until
        ``ready_js`` evaluates truthy; returns (session, run). :meth:`close` closes the tab."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._targets[session] = target
        for m in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.send(m, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width or self.width, "height": height or self.height, "deviceScaleFactor": 1,
                   "mobile": False}, session=session)
        self.send("Page.bringToFront", session=session)
        run = PageRun()
        self.send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + timeout
        while True:
            self._drain(run, session)
            if self.evaluate(session, ready_js):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"page not ready after {timeout}s: {ready_js}; errors {run}")
            time.sleep(0.05)
        time.sleep(0.5)  # let late console messages arrive
        self._drain(run, session)
        return session, run

    def close(self, session: str) -> None:
        """Close the tab of ``session`` (its events are dropped)."""
        self.send("Target.closeTarget", {"targetId": self._targets.pop(session)})
        with self._cond:
            self._events.pop(session, None)

    @contextmanager
    def page(self, url: str, *, ready_js: str, timeout: float = 90, width: int | None = None,
             height: int | None = None) -> Iterator[tuple[str, PageRun]]:
        """:meth:`open` as a context manager: the tab is closed on exit."""
        session, run = self.open(url, ready_js=ready_js, timeout=timeout, width=width, height=height)
        try:
            yield session, run
        finally:
            self.close(session)

    def evaluate(self, session: str, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its (JSON) value."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session=session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JS error in {expression!r}: {res['exceptionDetails'].get('text')}")
        return res.get("result", {}).get("value")

    def screenshot(self, session: str, *, full_page: bool = False) -> bytes:
        """PNG of the viewport (or the full page)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.send("Page.captureScreenshot", params, session=session)["data"])
