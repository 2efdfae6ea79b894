"""Web push: the VAPID key pair and the transport that sends one encrypted message to one browser.

Keys come from ``VAPID_PRIVATE_KEY`` (and ``VAPID_SUBJECT``) when set; otherwise a P-256 pair is
generated on first use and kept in the ``app_secrets`` table, so that every web and worker process
signs with the same key (a browser's subscription is bound to the public key it subscribed with).

Environment:

- ``VAPID_PRIVATE_KEY``: the private key, base64url raw (32 bytes), base64url DER, or PEM.
- ``VAPID_PUBLIC_KEY``: optional; checked against the private key's (a mismatch is logged and the
  derived one used, since subscriptions would fail with any other).
- ``VAPID_SUBJECT``: ``mailto:`` address or ``https:`` URL push services may contact; default the
  address of ``MAIL_FROM``.
- ``PUSH_ALLOW_HTTP_ENDPOINTS``: accept ``http://`` push endpoints (tests' local push service only;
  real push services are all https).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.config import get_settings
from app.db import get_database
from app.models import AppSecret

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = (
    "PushMessage",
    "PushTransport",
    "TransportError",
    "VapidKeys",
    "allow_http_endpoints",
    "b64url",
    "b64url_decode",
    "vapid_keys",
    "vapid_public_key",
)

log = logging.getLogger("rounds.push")
SECRET_NAME = "vapid"  # noqa: S105 - the row's name, not a secret
TIMEOUT_SECONDS = 10


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def allow_http_endpoints() -> bool:
    return os.environ.get("PUSH_ALLOW_HTTP_ENDPOINTS", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey
    subject: str

    @property
    def public_key(self) -> str:
        """The ``applicationServerKey`` browsers subscribe with: the uncompressed point, base64url."""
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return b64url(point)

    @property
    def private_raw(self) -> str:
        return b64url(self.private_key.private_numbers().private_value.to_bytes(32, "big"))


def _subject() -> str:
    if subject := os.environ.get("VAPID_SUBJECT", "").strip():
        return subject
    settings = get_settings()
    match = re.search(r"[^<>\s]+@[^<>\s]+", settings.mail_from)
    if match:
        return "mailto:" + match.group(0)
    return settings.base_url if settings.base_url.startswith("https://") else "mailto:rounds@localhost"


def _private_from_text(text: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode(text.replace("\n", ""))
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) private key")
    return key


def _from_environment() -> VapidKeys | None:
    private = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
    if not private:
        return None
    keys = VapidKeys(_private_from_text(private), _subject())
    public = os.environ.get("VAPID_PUBLIC_KEY", "").strip()
    if public and public.rstrip("=") != keys.public_key:
        log.warning("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY; using the private key's public key")
    return keys


def _stored(session: Session) -> VapidKeys | None:
    row = session.execute(select(AppSecret).where(AppSecret.name == SECRET_NAME)).scalar_one_or_none()
    if row is None:
        return None
    return VapidKeys(_private_from_text(json.loads(row.value)["private_key"]), _subject())


def vapid_keys() -> VapidKeys:
    """The VAPID key pair: from the environment, or from ``app_secrets`` (generated there on first use).

    Runs in a short transaction of its own, so callers may be in the middle of theirs. Two processes
    generating at once both insert "if absent" and then read back the one that won.
    """
    if keys := _from_environment():
        return keys
    db = get_database()
    with db.sync_session() as session:
        if keys := _stored(session):
            return keys
        session.rollback()
        fresh = ec.generate_private_key(ec.SECP256R1())
        value = json.dumps({"private_key": b64url(fresh.private_numbers().private_value.to_bytes(32, "big"))})
        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        session.execute(insert(AppSecret).values(name=SECRET_NAME, value=value)
                        .on_conflict_do_nothing(index_elements=["name"]))
        session.commit()
        keys = _stored(session)
        assert keys is not None
        log.info("generated the VAPID key pair for web push")
        return keys


async def vapid_public_key() -> str:
    """The ``applicationServerKey`` for a page, from a web request.

    Reads in a deferred (read) transaction, so it never waits on a write lock; only the very first call
    writes. Call it before the request's own session starts writing: on SQLite, a second writer would
    wait for that request's lock.
    """
    if keys := _from_environment():
        return keys.public_key
    db = get_database()
    async with db.read_session() as session:
        row = (await session.execute(select(AppSecret).where(AppSecret.name == SECRET_NAME))).scalar_one_or_none()
    if row is not None:
        return VapidKeys(_private_from_text(json.loads(row.value)["private_key"]), _subject()).public_key
    from anyio import to_thread

    return (await to_thread.run_sync(vapid_keys)).public_key


# -- transport -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushMessage:
    """What the service worker shows. Never patient data: a push service stores it, encrypted, for a while."""

    title: str
    body: str
    url: str
    tag: str | None = None

    def payload(self) -> str:
        data: dict[str, Any] = {"title": self.title, "body": self.body, "url": self.url}
        if self.tag:
            data["tag"] = self.tag
        return json.dumps(data, ensure_ascii=False)


class TransportError(Exception):
    """A push that did not go through. ``permanent``: retrying cannot help; ``gone``: the subscription
    no longer exists (404/410) and must be deleted."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False,
                 gone: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.permanent = permanent or gone
        self.gone = gone


class PushTransport:
    """Sends one message to one subscription: RFC 8291 encryption (aes128gcm) and RFC 8292 VAPID."""

    def __init__(self, keys: VapidKeys, *, timeout: float = TIMEOUT_SECONDS) -> None:
        from py_vapid import Vapid

        self.keys = keys
        self.vapid = Vapid(keys.private_key)
        self.timeout = timeout

    def notify(self, *, endpoint: str, p256dh: str, auth: str, message: PushMessage, ttl: int,
               urgency: str = "normal") -> None:
        """Deliver ``message``; raises :class:`TransportError` when the push service refuses it."""
        import requests
        from pywebpush import WebPushException, webpush

        subscription = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
        try:
            webpush(
                subscription,
                data=message.payload(),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.keys.subject},  # a fresh dict: webpush adds "aud" and "exp" to it
                content_encoding="aes128gcm",
                ttl=ttl,
                timeout=self.timeout,
                headers={"Urgency": urgency},
            )
        except WebPushException as exc:
            status = exc.status_code
            text = f"push service answered {status}" if status else str(exc)
            if status in {404, 410}:
                raise TransportError(text, status=status, gone=True) from exc
            # 429 and 5xx are the push service's trouble: try again later. Other 4xx (bad key, too big,
            # wrong VAPID key) will fail the same way every time.
            transient = status is None or status == 429 or status >= 500
            raise TransportError(text, status=status, permanent=not transient) from exc
        except requests.RequestException as exc:
            raise TransportError(f"could not reach the push service: {type(exc).__name__}") from exc
        except (ValueError, TypeError) as exc:  # undecodable subscription keys
            raise TransportError(f"invalid subscription: {exc}", permanent=True) from exc
