from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "cloudmentor.learning"
    label = "learning"
    verbose_name = _("Apprentissage")

    def ready(self) -> None:
        # The content-creator role is a group holding the permissions on the material;
        # Django creates permissions after migrating, so the group is made then.
        post_migrate.connect(_ensure_creator_group, sender=self, dispatch_uid="learning_creator_group")
        # Cached pages and lesson shells are stale after any write of what they show (SC-1).
        from . import coherence

        coherence.connect()

        from cloudmentor.core import personal_data

        from .personal_data import SECTION

        personal_data.register(SECTION)  # learning data in the export and erasure (PV-9, PV-10)


def _ensure_creator_group(sender: AppConfig, **kwargs: Any) -> None:
    from .services import creator_group_ensure

    creator_group_ensure(using=str(kwargs.get("using") or "default"))
