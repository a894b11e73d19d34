"""Screenshots of the workbench's main pages (summary, queue, case) into docs/, on a generated night.

Usage: .venv/bin/python scripts/workbench_screenshots.py
Runs the nightly flow on a generated day (SQLite, in a temporary directory, as the tests do), serves
the workbench on a loopback port and drives Debian's Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("RKC_SIGNING_KEY", "rkc-screenshots-key-0123456789abcdef")


def main() -> None:
    """Write docs/workbench-{summary,queue,case}.png."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from rkc.web.app import create_app
    from tests.test_web_browser import ARGS, CHROMIUM
    from tests.webutil import PASSWORD, generated_night

    with tempfile.TemporaryDirectory() as tmp:
        nights = generated_night(Path(tmp), "sqlite")
        night = next(nights)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(night.config, night.engine), host="127.0.0.1", port=port,
                                               log_level="warning"))  # fmt: skip
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="ru-RU")
            page.goto(base + "/login")
            page.fill("input[name=username]", "petrova")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.screenshot(path=str(ROOT / "docs" / "workbench-summary.png"), full_page=True)
            page.goto(base + "/cases")
            page.screenshot(path=str(ROOT / "docs" / "workbench-queue.png"))
            page.goto(base + "/cases?code=UNKNOWN_ACCOUNT")
            page.locator("table.queue tr td:first-child a").first.click()
            page.wait_for_load_state()
            page.screenshot(path=str(ROOT / "docs" / "workbench-case.png"), full_page=True)
            browser.close()
        server.should_exit = True
        next(nights, None)


if __name__ == "__main__":
    main()
