"""Domain errors of the legal app; views and the staff site turn them into messages."""

from __future__ import annotations

from collections.abc import Sequence


class LegalError(Exception):
    """Base class of every refusal the legal services can answer with."""


class PolicyAlreadyPublished(LegalError):
    """A published version is never changed: a correction is a new version."""


class PolicyIncomplete(LegalError):
    """Publishing needs both languages: the text and the summary of what changes."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = list(missing)


class TermsVersionOutdated(LegalError):
    """The member acknowledged a version that is no longer the current one (a newer was published)."""
