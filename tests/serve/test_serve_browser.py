"""``promptcache serve`` in a real browser: Debian's Chromium, headless, driven by Playwright
over DevTools. The page shows the panels, a key press reaches the app, nothing is loaded
from outside this machine, and no app process outlives its browser."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from playwright.sync_api import sync_playwright
from serve_testlib import ServeProcess, alive, screen_text, start_chromium, wait_until

APP_EXIT_S = 15.0
"""How long an app process may outlive its browser (quit, SIGTERM and SIGKILL grace)."""

# Keep a copy of everything the app sends to the page (xterm.js draws on a canvas, so the
# text is not in the DOM).
RECORD_OUTPUT = """
window.__appOutput = "";
const NativeWebSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new NativeWebSocket(...args);
  const decoder = new TextDecoder();
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") { window.__appOutput += event.data; }
    else if (event.data instanceof ArrayBuffer) {
      window.__appOutput += decoder.decode(event.data, {stream: true});
    } else if (event.data instanceof Blob) {
      event.data.arrayBuffer().then((b) => { window.__appOutput += decoder.decode(b); });
    }
  });
  return socket;
};
window.WebSocket.prototype = NativeWebSocket.prototype;
Object.assign(window.WebSocket, NativeWebSocket);
"""


def test_page_shows_panels_takes_keys_and_cleans_up_after_a_killed_browser(
    served: ServeProcess, chromium_path: str, tmp_path: Path
) -> None:
    chromium = start_chromium(chromium_path, tmp_path / "profile")
    requested: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(chromium.endpoint)
            page = browser.contexts[0].new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.add_init_script(RECORD_OUTPUT)
            page.goto(served.url)

            def screen() -> str:
                return screen_text(str(page.evaluate("window.__appOutput")))

            wait_until(lambda: "Hit ratio" in screen(), 45, "the panels in the page")
            assert "Memory" in screen()
            assert "Health" not in screen()  # the Monitor tab is not open yet
            page.screenshot(path=str(tmp_path / "panels.png"))

            page.locator("body").click()
            page.keyboard.press("3")  # the Monitor tab
            wait_until(lambda: "Health" in screen(), 20, "the Monitor tab after pressing 3")

            apps = served.app_processes()
            assert len(apps) == 1, apps

            chromium.kill()
    finally:
        chromium.kill()

    local = (f"http://localhost:{served.port}/", f"ws://localhost:{served.port}/")
    outside = [url for url in requested if not url.startswith((*local, "data:", "blob:"))]
    assert outside == [], f"the page asked for something outside this server: {outside}"
    assert any(url.endswith(".ttf") for url in requested), "the bundled font was not loaded"

    wait_until(lambda: served.app_processes() == [], APP_EXIT_S, "the app process to end")
    assert served.process.poll() is None, "the server itself must keep running"
    assert "Traceback" not in served.output()


def test_a_headless_screenshot_leaves_no_app_process(
    served: ServeProcess, chromium_path: str, tmp_path: Path
) -> None:
    """The case from the issue: a screenshot closes the page while the app starts up."""
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium_path,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=8000",
            f"--screenshot={shot}",
            "--window-size=1200,800",
            served.url,
        ],
        capture_output=True,
        timeout=90,
        check=True,
    )
    assert shot.stat().st_size > 0
    wait_until(lambda: served.app_processes() == [], APP_EXIT_S, "the app process to end")
    assert "Traceback" not in served.output()


def test_stopping_the_server_ends_the_app_of_an_open_tab(
    served: ServeProcess, chromium_path: str, tmp_path: Path
) -> None:
    chromium = start_chromium(chromium_path, tmp_path / "profile")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(chromium.endpoint)
            page = browser.contexts[0].new_page()
            page.goto(served.url)
            wait_until(lambda: len(served.app_processes()) == 1, 30, "the tab's app process")
            (app,) = served.app_processes()
            served.process.send_signal(signal.SIGINT)  # Ctrl+C
            served.process.wait(APP_EXIT_S)
            wait_until(lambda: not alive(app), 5, "the app process to end")
    finally:
        chromium.kill()
