from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "cloudmentor.learning"
    label = "learning"
    verbose_name = _("Apprentissage")

    def ready(self) -> None:
        # Cached pages and lesson shells are stale after any write of what they show (SC-1).
        from . import coherence

        coherence.connect()

        from cloudmentor.core import personal_data

        from .personal_data import SECTION

        personal_data.register(SECTION)  # learning data in the export and erasure (PV-9, PV-10)
