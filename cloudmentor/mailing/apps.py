from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "cloudmentor.mailing"
    label = "mailing"
    verbose_name = _("Envois d'e-mails")
