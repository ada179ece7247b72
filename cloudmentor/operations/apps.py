from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def on_maintenance_window_changed(**kwargs: Any) -> None:
    """Refresh the cached window list and the visitors' cached pages (their banner) everywhere."""
    from cloudmentor.core import stamps

    from .selectors import MAINTENANCE_STAMP

    stamps.bump(MAINTENANCE_STAMP, stamps.PAGES_STAMP)


class OperationsConfig(AppConfig):
    name = "cloudmentor.operations"
    label = "operations"
    verbose_name = _("Exploitation")

    def ready(self) -> None:
        # Every save or delete of a window, wherever it comes from (services, staff site,
        # shell), makes the cached copies stale at once (TM-5).
        from cloudmentor.core import pageparts, personal_data

        from .banner import banner_html
        from .models import MaintenanceWindow
        from .personal_data import SECTION

        for signal, uid in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(on_maintenance_window_changed, sender=MaintenanceWindow, dispatch_uid=f"maintenance_{uid}")
        personal_data.register(SECTION)  # contact messages in the export and erasure (PV-9, PV-10)
        # The banner of an announced or running window, first under every page's header (TM-5).
        pageparts.register(pageparts.PagePart(name="maintenance", order=10, render=banner_html))
