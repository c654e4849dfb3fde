"""The dashboard's route table by handler name, and its configuration key, without the pages.

:func:`smsd.web.install` adds these routes at start, each answering through a handler that
imports :mod:`smsd.web.pages` (and Jinja2 with it) on the first request: a daemon whose
dashboard nobody opens never loads them.
"""

from __future__ import annotations

from aiohttp import web

from smsd.config import WebConfig

__all__ = ["PAGES", "WEB"]

WEB = web.AppKey("web_config", WebConfig)

PAGES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/", "root"),
    ("GET", "/web/login", "login_form"),
    ("POST", "/web/login", "login"),
    ("POST", "/web/logout", "logout"),
    ("GET", "/web/", "overview"),
    ("GET", "/web/fragment/overview", "overview_fragment"),
    ("GET", "/web/conversations", "conversations"),
    ("GET", "/web/fragment/thread", "thread_fragment"),
    ("GET", "/web/send", "send_form"),
    ("POST", "/web/send", "send"),
    ("GET", "/web/phones", "phones"),
    ("POST", r"/web/phones/{id:\d+}/status", "phone_status"),
    ("POST", r"/web/phones/{id:\d+}/ussd", "phone_ussd"),
)
"""(method, path, name of the handler in :mod:`smsd.web.pages`)."""
