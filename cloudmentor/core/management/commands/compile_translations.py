from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po file of the apps and LOCALE_PATHS into .mo (pure Python: no gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        # One catalog per app (cloudmentor/<app>/locale/) plus LOCALE_PATHS.
        roots = [*settings.LOCALE_PATHS, *Path(settings.BASE_DIR, "cloudmentor").glob("*/locale")]
        for locale_path in roots:
            for po_path in Path(locale_path).glob("*/LC_MESSAGES/*.po"):
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
        self.stdout.write(f"{count} catalog(s) compiled")
