"""What the legal app keeps in the cache for every page, and what makes it stale.

Every page a member sees asks "which terms are in force" (the notice of new terms) and the
home page asks "what was published lately" (the banner). Both come from one small cached
entry checked against the change stamp `POLICIES_STAMP` (`cloudmentor.core.stamps`), which
publishing bumps: in steady state no page gains a query.
"""

from __future__ import annotations

from cloudmentor.core import stamps

POLICIES_STAMP = "legal:policies"
# Safety net only: publishing bumps the stamp. The banner's window is checked at each
# render against the clock, so a cached entry never shows a banner past its end.
CACHE_SECONDS = 3600


def policies_changed() -> None:
    stamps.bump(POLICIES_STAMP)
