"""Who is acting: every service call takes one."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("Actor",)


@dataclass(frozen=True, slots=True)
class Actor:
    """The person (or system process) behind a service call, in one organization.

    ``role`` is the membership's role in ``organization_id``; ``viewing_as`` marks
    a platform administrator looking at an organization read-only.
    """

    user_id: int | None
    label: str
    organization_id: int | None = None
    role: str | None = None
    is_platform_admin: bool = False
    viewing_as: bool = False
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, label: str = "system", *, organization_id: int | None = None) -> Actor:
        """An operator's command line or a background job: trusted, audited under ``label``."""
        return cls(user_id=None, label=label, organization_id=organization_id, role="system")

    @property
    def is_system(self) -> bool:
        return self.role == "system"
