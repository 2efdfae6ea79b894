"""Translations. Every user-facing string goes through ``_`` (code) or ``{{ _() }}`` (templates).

English ships first; a catalog under ``app/translations/<locale>/`` is picked up
without touching code or templates (``make i18n-init LOCALE=de``).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = ("DEFAULT_LOCALE", "_", "current_translations", "get_translations", "ngettext", "use_locale")

DEFAULT_LOCALE = "en"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=16)
def get_translations(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def current_translations() -> NullTranslations:
    return get_translations(_locale.get())


def use_locale(locale: str) -> None:
    _locale.set(locale)


def _(message: str, **params: object) -> str:
    text = current_translations().gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = current_translations().ngettext(singular, plural, n)
    return text % {"num": n, **params}
