from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "cloudmentor.billing"
    label = "billing"
    verbose_name = _("Facturation")

    def ready(self) -> None:
        from django.core import checks

        from cloudmentor.core import personal_data

        from .checks import seller_details_check
        from .personal_data import SECTION
        from .providers.checks import payment_provider_check

        personal_data.register(SECTION)  # billing data in the export and erasure (PV-9, PV-10)
        checks.register(seller_details_check)  # seller details on invoices in production (BZ-3)
        checks.register(payment_provider_check)  # no demo provider in production (BZ-1)
