"""SCIM's errors (RFC 7644 §3.12): an HTTP status, an optional scimType, a detail in the caller's language."""

from __future__ import annotations

from django.utils.functional import Promise


class ScimError(Exception):
    """A refusal the API answers with a SCIM error document."""

    def __init__(self, status: int, detail: str | Promise, scim_type: str = "") -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


class TokenInvalid(Exception):
    """No active token has this value (unknown, revoked, or another group's)."""
