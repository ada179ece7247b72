from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "cloudmentor.analytics"
    label = "analytics"
    # The raw request log; « Statistiques » is the dashboard, shown on the staff home (decision 0134).
    verbose_name = _("Journal des requêtes")

    def ready(self) -> None:
        from cloudmentor.core import personal_data

        from .personal_data import SECTION

        personal_data.register(SECTION)  # the request log in the export and erasure (PV-9, PV-10)
