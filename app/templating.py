"""The Jinja environment: templates under ``app/templates``, gettext, and a few filters."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.i18n import DEFAULT_LOCALE, current_translations

__all__ = ("TEMPLATES_DIR", "environment")

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _local_time(value: datetime | None, tz: str | None = "UTC", fmt: str = "medium") -> str:
    """An instant in the organization's timezone, in the reader's locale."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(tz or "UTC")), fmt, locale=DEFAULT_LOCALE)


class _LiveTranslations:
    """Hands Jinja the translations of the current request's locale at render time."""

    def gettext(self, message: str) -> str:
        return current_translations().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return current_translations().ngettext(singular, plural, n)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_LiveTranslations(), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_time"] = _local_time
    env.globals["role_labels"] = role_labels
    return env


def role_labels() -> dict[str, Any]:
    from app.i18n import _

    return {"owner": _("Owner"), "manager": _("Manager"), "member": _("Member"), "viewer": _("Viewer")}
