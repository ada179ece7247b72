"""Subscribers (with their consent record), issues and one delivery row per issue and subscriber."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a consent (or its withdrawal) was given."""

    REGISTRATION = "registration", _("formulaire d'inscription")
    ACCOUNT_PAGE = "account_page", _("page du compte")
    PUBLIC_FORM = "public_form", _("formulaire public (adresse confirmée)")
    EMAIL_LINK = "email_link", _("lien de désinscription d'un e-mail")
    ONE_CLICK = "one_click", _("désinscription en un clic du logiciel de messagerie")
    STAFF = "staff", _("équipe")
    ERASURE = "erasure", _("effacement des données")


class Subscriber(models.Model):
    """One address of the newsletter. An unsubscribed address stays, flagged, and is never mailed (PV-4)."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("abonné")
        UNSUBSCRIBED = "unsubscribed", _("désabonné")

    email = models.EmailField(_("adresse e-mail"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="newsletter_subscriber",
    )
    language = models.CharField(_("langue"), max_length=8, default="fr")
    status = models.CharField(_("état"), max_length=12, choices=Status.choices, default=Status.SUBSCRIBED)
    source = models.CharField(_("abonné depuis"), max_length=20, choices=Source.choices)
    subscribed_at = models.DateTimeField(_("abonné le"), default=timezone.now)
    unsubscribed_at = models.DateTimeField(_("désabonné le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("abonné")
        verbose_name_plural = _("abonnés")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(Lower("email"), name="newsletter_subscriber_email_ci_unique")]
        indexes = [models.Index(fields=["status", "id"], name="newsletter_subscriber_status")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_subscribed(self) -> bool:
        return self.status == self.Status.SUBSCRIBED


class ConsentEvent(models.Model):
    """The consent record: every subscription and unsubscription, when and from where."""

    class Action(models.TextChoices):
        SUBSCRIBED = "subscribed", _("abonnement")
        UNSUBSCRIBED = "unsubscribed", _("désabonnement")
        EMAIL_CHANGED = "email_changed", _("adresse modifiée")

    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("abonné"), on_delete=models.CASCADE, related_name="consent_events"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices)
    detail = models.CharField(_("détail"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.get_source_display()})"


class Issue(models.Model):
    """One newsletter, written by staff in French and English (Markdown)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        SENDING = "sending", _("envoi en cours")
        SENT = "sent", _("envoyée")

    subject_fr = models.CharField(_("objet (français)"), max_length=200)
    body_fr = models.TextField(_("texte (français, Markdown)"))
    subject_en = models.CharField(_("objet (anglais)"), max_length=200)
    body_en = models.TextField(_("texte (anglais, Markdown)"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rédigée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    send_started_at = models.DateTimeField(_("envoi commencé le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoi terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("numéro")
        verbose_name_plural = _("numéros")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject_fr

    def subject(self, language: str) -> str:
        return self.subject_en if language == "en" else self.subject_fr

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_fr


class Delivery(models.Model):
    """An issue queued for one subscriber: at most one per pair, so a re-run never sends twice."""

    issue = models.ForeignKey(Issue, verbose_name=_("numéro"), on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("abonné"), on_delete=models.CASCADE, related_name="deliveries"
    )
    language = models.CharField(_("langue"), max_length=8)
    email = models.ForeignKey(
        "mailing.OutboxEmail",
        verbose_name=_("e-mail"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [models.UniqueConstraint(fields=["issue", "subscriber"], name="newsletter_delivery_once")]

    def __str__(self) -> str:
        return f"{self.issue} → {self.subscriber}"
