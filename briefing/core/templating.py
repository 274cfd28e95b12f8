"""Jinja2 templates for email and web pages; CSS inlined with premailer for email.

Each email is a trio under `templates/email/<name>/`: `subject.txt`, `body.txt`, `body.html`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cssutils
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from premailer import Premailer

from briefing.core.resources import templates_dir

# cssutils reports every property it does not know (dark-mode and mso- rules) as an error.
cssutils.log.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a typo in a template fails the test, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def inline_css(html: str) -> str:
    """Inline <style> rules for mail clients that drop them; never fetch anything."""
    return str(Premailer(
        html, allow_network=False, keep_style_tags=True, strip_important=False,
        disable_validation=True, cssutils_logging_level=logging.CRITICAL,
        remove_classes=False, disable_leftover_css=False,
    ).transform())


def render_email(name: str, **context: Any) -> RenderedEmail:
    subject = " ".join(render(f"email/{name}/subject.txt", **context).split())
    return RenderedEmail(
        subject=subject,
        text=render(f"email/{name}/body.txt", **context),
        html=inline_css(render(f"email/{name}/body.html", **context)),
    )
