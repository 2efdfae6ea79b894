"""Errors services raise; routes turn them into a message beside a field or a JSON error."""

from __future__ import annotations

__all__ = ("Conflict", "Forbidden", "NotFound", "ServiceError", "Throttled", "ValidationFailed")


class ServiceError(Exception):
    """Base class; ``code`` is the machine-readable name used by the JSON API."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(ServiceError):
    """Bad input. ``errors`` maps a form field to the message shown beside it."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotFound(ServiceError):
    """Missing, or another organization's: the two are indistinguishable on purpose."""

    status_code = 404
    code = "not_found"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class Throttled(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
