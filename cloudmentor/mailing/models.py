from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """One email, rendered when queued; its body is kept for a while, its metadata for good.

    An email that carries a secret (a link that opens or changes an account) keeps its body
    only encrypted in `sealed_body` until it is sent or given up on; `body_text` holds a
    placeholder from the start (TR-3, docs/decisions/0102-no-secret-at-rest.md).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        # Claimed by a worker, which is talking to the SMTP server: never sent again
        # automatically (SC-4, at most once; docs/decisions/0092-processes-that-heal.md).
        SENDING = "sending", _("en cours d'envoi")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("abandonné")
        # Withdrawn before it left (e.g. its recipient unsubscribed from the newsletter).
        CANCELLED = "cancelled", _("annulé")

    to = models.EmailField(_("destinataire"))
    template = models.CharField(_("modèle"), max_length=100)
    language = models.CharField(_("langue"), max_length=8)
    subject = models.CharField(_("objet"), max_length=255)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    # When a worker claimed the row for its current attempt (status "sending").
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    has_secret = models.BooleanField(_("lien à usage unique"), default=False)
    # The text, HTML and headers of a secret email, encrypted (core.crypto); emptied once
    # it is sent or given up on. Never shown, never exported.
    sealed_body = models.TextField(_("corps chiffré"), blank=True, editable=False)
    # When the body was dropped: once sent for a secret email, after MAILING_BODY_RETENTION_DAYS otherwise.
    body_removed_at = models.DateTimeField(_("corps retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mailing_due_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
