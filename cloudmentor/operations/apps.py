from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "cloudmentor.operations"
    label = "operations"
    verbose_name = _("Exploitation")

    def ready(self) -> None:
        from cloudmentor.core import personal_data

        from .personal_data import SECTION

        personal_data.register(SECTION)  # contact messages in the export and erasure (PV-9, PV-10)
