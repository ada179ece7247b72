from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "cloudmentor.newsletter"
    label = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self) -> None:
        # accounts (below) tells what happens to members; the newsletter follows (PV-4).
        from cloudmentor.accounts.signals import member_email_changed, member_registered
        from cloudmentor.core import personal_data

        from . import receivers
        from .personal_data import SECTION

        member_registered.connect(receivers.on_member_registered, dispatch_uid="newsletter_member_registered")
        member_email_changed.connect(receivers.on_member_email_changed, dispatch_uid="newsletter_member_email_changed")
        personal_data.register(SECTION)  # the subscription in the export and erasure (PV-9, PV-10)
