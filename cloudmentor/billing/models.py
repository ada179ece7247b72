from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLevel(models.IntegerChoices):
    """What a plan opens; learning material requires one of these levels (LM-3)."""

    FREE = 0, _("Gratuit")
    ESSENTIAL = 10, _("Essentiel")
    PRO = 20, _("Pro")
    EXPERT = 30, _("Expert")
