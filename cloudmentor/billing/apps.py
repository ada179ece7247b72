from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "cloudmentor.billing"
    label = "billing"
    verbose_name = _("Facturation")

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from cloudmentor.core import personal_data

        from .checks import seller_details_check
        from .immutability import guards_install_after_migrate
        from .personal_data import SECTION
        from .providers.checks import payment_provider_check

        personal_data.register(SECTION)  # billing data in the export and erasure (PV-9, PV-10)
        checks.register(seller_details_check)  # seller details on invoices in production (BZ-3)
        checks.register(payment_provider_check)  # no demo provider in production (BZ-1)
        # Issued invoices and credit notes never change, even by writes that bypass the models (BZ-3).
        post_migrate.connect(guards_install_after_migrate, sender=self, dispatch_uid="billing_guards")
