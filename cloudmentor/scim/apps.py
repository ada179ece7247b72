from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScimConfig(AppConfig):
    name = "cloudmentor.scim"
    label = "scim"
    verbose_name = _("Provisionnement SCIM")

    def ready(self) -> None:
        from cloudmentor.core import personal_data
        from cloudmentor.core.middleware import API_PREFIXES

        from .personal_data import SECTION

        personal_data.register(SECTION)  # SCIM records and history in the export and erasure (PV-9, PV-10)
        # The directory replaces (PUT), patches and deletes its users: the only paths that take those methods.
        if "/scim/v2/" not in API_PREFIXES:
            API_PREFIXES.append("/scim/v2/")
