"""Drive Debian's headless Chromium over the DevTools protocol, to test pages as a person sees them.

Playwright's and puppeteer's browser downloads do not work here (no internet); Debian's ``chromium``
does. It is started with remote debugging on a free port, and commands go over its websocket with
tornado's client (already installed through Jupyter). Only what the tests need: open a file at a
window width, then evaluate JavaScript in the page.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> None:
    """Skip a test without Chromium on a developer's machine; in CI (CI=true) its absence fails."""
    import os

    import pytest

    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]


class Browser:
    """One headless Chromium and one page; use as a context manager."""

    def __init__(self) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self._profile = tempfile.mkdtemp(prefix="chromium-")
        self._proc = subprocess.Popen(
            [CHROMIUM, *_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = self._proc.stderr.readline()
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            url = m.group(1) if m else None
        if url is None:
            self.close()
            raise RuntimeError("chromium did not start its DevTools endpoint")
        from tornado.ioloop import IOLoop

        self._loop = IOLoop()
        self._ids = itertools.count(1)
        browser_ws = self._run(self._connect(url))
        target = self._call(browser_ws, "Target.createTarget", {"url": "about:blank"})
        port = re.search(r":(\d+)/", url).group(1)
        page_url = f"ws://127.0.0.1:{port}/devtools/page/{target['targetId']}"
        self._browser_ws = browser_ws
        self._ws = self._run(self._connect(page_url))
        self._call(self._ws, "Page.enable", {})

    async def _connect(self, url: str) -> Any:
        from tornado.websocket import websocket_connect

        return await websocket_connect(url, max_message_size=256 * 1024 * 1024)

    def _run(self, coro: Any) -> Any:
        return self._loop.run_sync(lambda: coro, timeout=60)

    def _call(self, ws: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
        msg_id = next(self._ids)

        async def go() -> dict[str, Any]:
            await ws.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                raw = await ws.read_message()
                if raw is None:
                    raise RuntimeError(f"chromium closed the connection during {method}")
                msg = json.loads(raw)
                if msg.get("id") == msg_id:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg.get("result", {})

        return self._run(go())

    def open(self, path: Path, width: int, height: int = 900) -> None:
        """Show ``path`` in a window ``width`` CSS pixels wide (a phone: 360 or 390)."""
        self._call(
            self._ws,
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )
        self._call(self._ws, "Page.navigate", {"url": path.resolve().as_uri()})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.eval("document.readyState") == "complete":
                images = "Array.from(document.images).every(i => i.complete)"
                if self.eval(images):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{path} did not finish loading")

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        res = self._call(
            self._ws, "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def screenshot(self, out: Path) -> None:
        """Save what the window shows as a PNG (for a person to look at)."""
        import base64

        data = self._call(self._ws, "Page.captureScreenshot", {"format": "png"})["data"]
        Path(out).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if getattr(self, "_proc", None) and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: JavaScript: how far the page overflows the window sideways (0 when nothing scrolls sideways).
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
#: JavaScript: the images with no alt text.
NO_ALT = "Array.from(document.images).filter(i => !i.alt || !i.alt.trim()).map(i => i.src)"
#: JavaScript: every link's target.
LINKS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
#: JavaScript: [colour, background] of every element with its own text, as computed by the browser.
TEXT_COLOURS = """
Array.from(document.querySelectorAll('body *')).filter(e =>
  Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())
  && e.offsetParent !== null
).map(e => {
  const s = getComputedStyle(e);
  let bg = 'rgba(0, 0, 0, 0)', p = e;
  while (p && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(p).backgroundColor; p = p.parentElement;
  }
  return [s.color, bg === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : bg, e.tagName];
})
"""


def _rgb(css: str) -> tuple[float, float, float]:
    values = [float(x) for x in re.findall(r"[\d.]+", css)[:3]]
    return values[0], values[1], values[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb() colours."""

    def lum(c: tuple[float, float, float]) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = (ch(v) for v in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    a, b = lum(_rgb(fg)), lum(_rgb(bg))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
