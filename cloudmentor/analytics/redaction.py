"""The request log's redaction rules, shared with the application log: see `cloudmentor.core.redaction`."""

from __future__ import annotations

from cloudmentor.core.redaction import REDACTED, escape_unprintable, redact_path, redact_query

__all__ = ["REDACTED", "escape_unprintable", "redact_path", "redact_query"]
