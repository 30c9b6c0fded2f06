"""A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (no websocket needed).

Chromium reads JSON commands from fd 3 and writes replies and events to fd 4, each message
ending with a NUL byte. A shell maps our stdin/stdout pipes onto those two descriptors.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

# Tried in this order when the CHROME environment variable does not name a browser.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
)


class DevToolsError(RuntimeError):
    pass


def find_chromium(env: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """The browser to drive, and where it came from (or why there is none).

    ``CHROME`` names it when set (a path, or a command on PATH); otherwise the first of
    CHROMIUM_NAMES on PATH.
    """
    env = os.environ if env is None else env
    path = env.get("PATH", os.defpath)
    if chrome := env.get("CHROME", "").strip():
        found = shutil.which(chrome, path=path)
        if found:
            return Path(found), f"CHROME={chrome}"
        return None, f"CHROME={chrome} is not an executable"
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name, path=path):
            return Path(found), f"{name} on PATH"
    return None, f"none of {', '.join(CHROMIUM_NAMES)} on PATH and CHROME is not set"


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """CI systems set CI (GitHub, GitLab, ... use CI=true); there a missing browser is a failure."""
    value = (os.environ if env is None else env).get("CI", "").strip().lower()
    return value not in ("", "0", "false", "no")


def require_chromium(env: Mapping[str, str] | None = None) -> Path:
    """The browser, or skip the test - except in CI, where the test fails instead."""
    found, why = find_chromium(env)
    if found is not None:
        return found
    message = f"no Chromium: {why} (apt-get install chromium, or set CHROME)"
    if in_ci(env):
        pytest.fail(f"{message}; CI must run the browser test", pytrace=False)
    pytest.skip(message)


class Browser:
    def __init__(self, executable: Path, timeout: float = 30.0) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="iam-audit-chromium-")
        args = [str(executable), *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        # fd 3 <- our stdin pipe, fd 4 -> our stdout pipe; Chromium's own stdio goes nowhere.
        command = f"exec {shlex.join(args)} 3<&0 4>&1 0</dev/null 1>/dev/null 2>/dev/null"
        self._proc = subprocess.Popen(  # noqa: S602 - fixed command, quoted with shlex
            ["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._writer = self._proc.stdin
        self._reader = self._proc.stdout.fileno()
        self._buffer = b""
        self._next_id = 0
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def close(self) -> None:
        # Browser.close lets Chromium reap its own helper processes; a plain SIGTERM leaves
        # them as zombies where PID 1 does not reap (containers).
        self.timeout = 5.0
        self.session = ""
        with contextlib.suppress(DevToolsError, OSError):
            self.call("Browser.close", page=False)
        with contextlib.suppress(OSError):
            self._writer.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._reader], [], [], remaining)
            if ready:
                chunk = os.read(self._reader, 1 << 16)
                if not chunk:
                    raise DevToolsError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        self._writer.write(json.dumps(message).encode() + b"\0")
        self._writer.flush()
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                self.events.remove(event)
                return event
        deadline = time.monotonic() + self.timeout
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def open_page(self, url: str) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, page=False)
        attached = self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, page=False
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")
