"""Headless Chromium driven through the DevTools protocol, for the report's tests.

Chromium speaks its DevTools protocol over a pair of pipes with
``--remote-debugging-pipe`` (commands on its fd 3, replies and events on
its fd 4, JSON messages ended by a NUL byte), so the tests need neither
chromedriver nor a websocket client: only the standard library. The pipe
also keeps the browser off the network (no port is opened).
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

__all__ = ["find_chromium", "HeadlessPage"]

_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--remote-debugging-pipe")


def find_chromium():
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessPage:
    """One page of a headless Chromium: open a URL, evaluate, screenshot.

    Console messages at level "error" and uncaught exceptions are collected
    in ``errors``; failed loads (a missing image) in ``failed``.
    """

    def __init__(self, executable, width=1200, height=900, timeout=60.0):
        self.timeout = timeout
        self.errors, self.failed = [], []
        self._profile = tempfile.mkdtemp(prefix="report-browser-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser reads commands on fd 3 and writes on fd 4: the shell
        # puts the pipes' ends there before it becomes the browser (bash:
        # dash takes only one-digit descriptors, and pytest holds many).
        plumb = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}'
        self._process = subprocess.Popen(
            [shutil.which("bash") or "bash", "-c", plumb, executable, *_FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events = []
        try:
            self._attach(width, height)
        except BaseException:
            self.close()
            raise

    def _attach(self, width, height):
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target,
                                   flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self._call(f"{domain}.enable", session=True)
        self._call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                   height=height, deviceScaleFactor=1, mobile=False)

    def _send(self, method, params, session):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _handle_event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                        for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Network.loadingFailed":
            self.failed.append(params.get("errorText", "failed"))
        self._events.append(method)

    def _call(self, method, session=False, **params):
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._handle_event(message)

    def _wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        while method not in self._events:
            self._handle_event(self._read(deadline))

    def open(self, url):
        """Load ``url`` and wait for its load event (all images fetched)."""
        self._events.clear()
        self._call("Page.navigate", session=True, url=url)
        self._wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page."""
        result = self._call("Runtime.evaluate", session=True, expression=expression,
                            returnByValue=True)
        return result["result"].get("value")

    def screenshot(self, path, height=None):
        """Save a PNG of the whole page (beyond the window's height), or its top ``height`` px."""
        params = {"format": "png", "captureBeyondViewport": True}
        if height is not None:
            width = self.evaluate("document.documentElement.scrollWidth")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self._call("Page.captureScreenshot", session=True, **params)["data"]
        with open(path, "wb") as stream:
            stream.write(base64.b64decode(data))

    def close(self):
        try:
            self._send("Browser.close", {}, False)
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
