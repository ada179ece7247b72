from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The staff home (BZ-5): the business at a glance, above the staff site's lists."""

    name = "cloudmentor.backoffice"
    label = "backoffice"
    verbose_name = _("Accueil du personnel")
