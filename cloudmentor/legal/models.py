from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyKind(models.TextChoices):
    COOKIES = "cookies", _("Politique des cookies")
    PRIVACY = "privacy", _("Politique de confidentialité")
    TERMS = "terms", _("Conditions d'utilisation")


class PolicyDocument(models.Model):
    """One version of one policy in one language; published versions are never edited."""

    kind = models.CharField(_("document"), max_length=10, choices=PolicyKind.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("langue"), max_length=8)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"))
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("version de politique")
        verbose_name_plural = _("versions de politiques")
        ordering = ["kind", "-version", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version", "language"], name="legal_policy_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
