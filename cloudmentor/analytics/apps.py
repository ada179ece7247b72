from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "cloudmentor.analytics"
    label = "analytics"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from cloudmentor.core import personal_data

        from .personal_data import SECTION

        personal_data.register(SECTION)  # the request log in the export and erasure (PV-9, PV-10)
