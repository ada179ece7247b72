from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PolicyKind(models.TextChoices):
    COOKIES = "cookies", _("Politique des cookies")
    PRIVACY = "privacy", _("Politique de confidentialité")
    TERMS = "terms", _("Conditions d'utilisation")


class PolicyDocument(models.Model):
    """One version of one policy, in French and English (TM-1).

    A draft has no version number; publishing gives it the next number of its kind
    (`PolicySequence`) and from then on the row is never changed or deleted: a correction
    is a new version. ``notify_cursor``/``notified_at`` record how far the emails to
    members went (`services.policy_notify_members`).
    """

    kind = models.CharField(_("document"), max_length=10, choices=PolicyKind.choices)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True, editable=False)
    body_fr = models.TextField(_("texte en français (Markdown)"), blank=True)
    body_en = models.TextField(_("texte en anglais (Markdown)"), blank=True)
    summary_fr = models.TextField(_("ce qui change, en français"), max_length=600, blank=True)
    summary_en = models.TextField(_("ce qui change, en anglais"), max_length=600, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rédigé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("publié par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Members are emailed in increasing id order: the last id handled, and when all were.
    notify_cursor = models.BigIntegerField(_("dernier membre prévenu (id)"), default=0, editable=False)
    notified_at = models.DateTimeField(_("membres prévenus le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("version de politique")
        verbose_name_plural = _("versions de politiques")
        ordering = ["kind", models.F("version").desc(nulls_first=True), "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_policy_kind_version_unique"),
            models.CheckConstraint(
                condition=Q(version__isnull=True, published_at__isnull=True)
                | Q(version__isnull=False, published_at__isnull=False),
                name="legal_policy_published_has_version",
            ),
        ]
        indexes = [models.Index(fields=["published_at"], name="legal_policy_published_idx")]

    def __str__(self) -> str:
        if self.version is None:
            return f"{self.get_kind_display()} — {_('brouillon')}"
        return f"{self.get_kind_display()} v{self.version}"

    @property
    def title(self) -> str:
        return str(self.get_kind_display())

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def body_in(self, language: str | None) -> str:
        """Return the text in `language`, or the French one."""
        return self.body_en if language == "en" and self.body_en else self.body_fr

    def summary_in(self, language: str | None) -> str:
        return self.summary_en if language == "en" and self.summary_en else self.summary_fr


class PolicySequence(models.Model):
    """The last version number given to a kind of policy; locked while a version is published."""

    kind = models.CharField(_("document"), max_length=10, choices=PolicyKind.choices, primary_key=True)
    last_version = models.PositiveIntegerField(_("dernière version"), default=0)

    class Meta:
        verbose_name = _("numérotation des versions")
        verbose_name_plural = _("numérotations des versions")

    def __str__(self) -> str:
        return f"{self.kind}: {self.last_version}"


class PolicyAcceptance(models.Model):
    """A member accepted (at registration) or acknowledged (later) one version of a policy (TM-1, PV-7)."""

    class Source(models.TextChoices):
        REGISTRATION = "registration", _("à l'inscription")
        NOTICE = "notice", _("après l'avis de changement")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre"),
        on_delete=models.CASCADE,
        related_name="policy_acceptances",
    )
    kind = models.CharField(_("document"), max_length=10, choices=PolicyKind.choices)
    version = models.PositiveIntegerField(_("version"))
    accepted_at = models.DateTimeField(_("acceptée le"), default=timezone.now)
    source = models.CharField(_("comment"), max_length=20, choices=Source.choices)

    class Meta:
        verbose_name = _("acceptation des conditions")
        verbose_name_plural = _("acceptations des conditions")
        ordering = ["-accepted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "version"], name="legal_acceptance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} v{self.version}"


class PolicyNotice(models.Model):
    """The email telling one member about one published version: at most one, ever (TM-1)."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("version"), on_delete=models.PROTECT, related_name="notices"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.ForeignKey(
        "mailing.OutboxEmail",
        verbose_name=_("e-mail"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("avis de nouvelle version")
        verbose_name_plural = pgettext_lazy("pluriel", "avis de nouvelle version")
        constraints = [
            models.UniqueConstraint(fields=["document", "user"], name="legal_notice_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.document} → {self.user_id}"
