from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "cloudmentor.donations"
    label = "donations"
    verbose_name = _("Dons")

    def ready(self) -> None:
        from cloudmentor.billing.signals import checkout_session_completed
        from cloudmentor.core import personal_data

        from .personal_data import SECTION
        from .receivers import donation_checkout_session_completed

        personal_data.register(SECTION)  # donations in the export and erasure (PV-9, PV-10)
        # Billing owns the Stripe webhook; sessions opened for a donation come back here (TM-10).
        checkout_session_completed.connect(donation_checkout_session_completed, dispatch_uid="donations-checkout")
