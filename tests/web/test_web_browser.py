"""The dashboard in a real browser: headless Chromium driven by Selenium against the daemon.

The daemon runs in this process on a virtual modem over a pty (see ``web_rig``); every browser
call runs in a worker thread so the daemon's event loop keeps serving. Screenshots of each page
are saved under ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from web_rig import ADMIN_KEY, OTHER_KEY, running

if TYPE_CHECKING:
    from collections.abc import Callable

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Chromium and chromedriver are not installed (.ci/run installs them)",
)


class Browser:
    """A headless Chromium whose blocking calls run off the event loop."""

    def __init__(self) -> None:
        from selenium import webdriver  # noqa: PLC0415 - only where a browser runs
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1200,900",
        ):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.implicitly_wait(0)

    async def run(self, action: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(action, *args)

    async def get(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def script(self, code: str, *args: Any) -> Any:
        return await self.run(self.driver.execute_script, code, *args)

    async def text(self, selector: str) -> str:
        return await self.script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            selector,
        )

    async def type(self, selector: str, value: str) -> None:
        from selenium.webdriver.common.by import By  # noqa: PLC0415

        element = await self.run(self.driver.find_element, By.CSS_SELECTOR, selector)
        await self.run(element.clear)
        await self.run(element.send_keys, value)

    async def click(self, selector: str) -> None:
        from selenium.webdriver.common.by import By  # noqa: PLC0415

        element = await self.run(self.driver.find_element, By.CSS_SELECTOR, selector)
        await self.run(element.click)

    async def wait_text(self, selector: str, wanted: str, timeout: float = 20.0) -> str:
        """Poll until the element's text contains ``wanted`` (the page updates itself)."""
        found = ""
        try:
            async with asyncio.timeout(timeout):
                while wanted not in (found := await self.text(selector)):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pytest.fail(f"{selector!r} never showed {wanted!r}; last text: {found!r}")
        return found

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.run(self.driver.save_screenshot, str(SCREENSHOTS / f"{name}.png"))

    async def login(self, base: str, key: str) -> None:
        await self.get(f"{base}/web/login")
        await self.type("#credential", key)
        await self.click("button[type=submit]")
        await self.wait_text("h1", "Overview")

    def quit(self) -> None:
        self.driver.quit()


async def test_the_dashboard_in_a_browser(tmp_path) -> None:  # noqa: PLR0915 - one story, step by step
    async with running(tmp_path) as rig:
        browser = await asyncio.to_thread(Browser)
        try:
            base = rig.base
            await browser.get(f"{base}/")
            assert await browser.text("h1") == "smsd"
            await browser.screenshot("login")
            await browser.login(base, ADMIN_KEY)
            await browser.wait_text("#overview", "dongle-1")
            await browser.wait_text("#phone-1", "available")

            # Send from the form: the count comes from /api/segments, the result without reload.
            await browser.get(f"{base}/web/send")
            marker = await browser.script("window.marker = 42; return window.marker;")
            await browser.type("#numbers", "+33612345678")
            await browser.type("#text", "Your code is 4242 €")
            await browser.wait_text("#count", "1 SMS (GSM 7-bit)")
            assert "20 characters" in await browser.text("#count")
            await browser.screenshot("send")
            await browser.click("#send-form button[type=submit]")
            await browser.wait_text("#result", "scheduled")
            assert await browser.script("return window.marker;") == marker  # no reload
            await rig.until(lambda: rig.modem.modem.submitted)
            [submitted] = rig.modem.modem.submitted
            assert submitted.decoded.text == "Your code is 4242 €"
            # The page names its next message anew: a second send from it is a new message.
            await browser.type("#text", "See you at 5")
            await browser.click("#send-form button[type=submit]")
            await rig.until(lambda: len(rig.modem.modem.submitted) >= 2)
            assert rig.modem.modem.submitted[1].decoded.text == "See you at 5"

            # The conversation shows it, then "delivered" once the report comes, live.
            await browser.get(f"{base}/web/conversations?number=%2B33612345678")
            await browser.wait_text("#thread", "Your code is 4242 €")
            await browser.wait_text("#thread", "sent")
            await rig.modem.deliver_report(submitted.reference, "+33612345678")
            await browser.wait_text("#thread", "delivered")

            # A reply arrives while the page is open: it appears as text, its script inert.
            hostile = "<script>window.pwned = 1</script><img src=x onerror='window.pwned=2'>"
            await rig.modem.deliver("+33612345678", hostile)
            await browser.wait_text("#thread", "<script>window.pwned = 1</script>")
            assert await browser.script("return window.pwned === undefined;")
            images = "return document.querySelectorAll('#thread img').length;"
            assert await browser.script(images) == 0
            await browser.screenshot("conversations")

            # A form post without the CSRF token is refused, even from a logged-in page.
            status = await browser.run(
                browser.driver.execute_async_script,
                "const done = arguments[0];"
                "fetch('/web/send', {method: 'POST', body: new URLSearchParams("
                "{numbers: '+33612345678', text: 'forged'})}).then(r => done(r.status));",
            )
            assert status == 403
            db = rig.daemon.db
            assert db is not None
            assert await db.fetchall("SELECT id FROM sended WHERE text = 'forged'") == []

            await browser.get(f"{base}/web/")
            await browser.wait_text("#overview", "Sent today")
            await browser.wait_text(".sent-today", "2")
            await browser.screenshot("overview")
            await browser.get(f"{base}/web/phones")
            await browser.wait_text("main", "Disable dongle-1")
            await browser.screenshot("phones")

            # On a phone's screen the pages still fit.
            await browser.run(browser.driver.set_window_size, 390, 844)
            await browser.get(f"{base}/web/")
            width = await browser.script("return document.documentElement.scrollWidth;")
            assert width <= 390
            await browser.screenshot("overview-phone")
            await browser.run(browser.driver.set_window_size, 1200, 900)

            # Log out; a second user sees nothing of the first.
            await browser.click(".logout button")
            await browser.wait_text("h1", "smsd")
            await browser.login(base, OTHER_KEY)
            assert "dongle-1" not in await browser.text("main")
            await browser.get(f"{base}/web/conversations?number=%2B33612345678")
            page = await browser.text("main")
            assert "4242" not in page
            assert "window.pwned" not in page
        finally:
            await asyncio.to_thread(browser.quit)
