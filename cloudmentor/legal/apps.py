from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _on_user_saved(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Keep the terms accepted at registration in the member's acceptance history (PV-7)."""
    if created and not raw and getattr(instance, "terms_version", None) is not None:
        from .services import acceptance_record_registration

        acceptance_record_registration(user=instance)


class LegalConfig(AppConfig):
    name = "cloudmentor.legal"
    label = "legal"
    verbose_name = _("Mentions légales")

    def ready(self) -> None:
        from django.conf import settings

        from cloudmentor.core import pageparts, personal_data

        from .context_processors import terms_notice_html
        from .personal_data import SECTION

        post_save.connect(_on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="legal_registration_terms")
        personal_data.register(SECTION)  # accepted versions in the export and erasure (PV-9, PV-10)
        # The notice of new terms under every page's header, after the maintenance banner (TM-1).
        pageparts.register(pageparts.PagePart(name="terms_notice", order=20, render=terms_notice_html))
