"""Billing's fake Stripe, keeping every ``metadata[...]`` key a session is opened with (donations send donation_id)."""

from __future__ import annotations

from typing import Any

from cloudmentor.billing.tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, signature_header

__all__ = ["SECRET_KEY", "WEBHOOK_SECRET", "DonationFakeStripe", "signature_header"]


class DonationFakeStripe(FakeStripe):
    def session_create(self, form: dict[str, list[str]]) -> dict[str, Any]:
        session = super().session_create(form)
        metadata = {
            key.removeprefix("metadata[").removesuffix("]"): values[0]
            for key, values in form.items()
            if key.startswith("metadata[")
        }
        with self.lock:
            session["metadata"] = metadata
        return session
