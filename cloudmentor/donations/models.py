"""Donations (TM-10): money given freely by visitors, free users and subscribers.

A donation is created *pending* when the donor is sent to Stripe Checkout; the completed
session pays it once (``DonationPayment`` is unique per session), which gives it its
receipt reference ``DON-<year>-<6 digits>``, gapless per year (``DonationSequence``).
A checkout left unpaid is marked *abandoned* a day later by ``donations_abandon``.
Nothing refunds (TM-7): there is no refund status.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DonationSequence(models.Model):
    """The last receipt number given in a year; locked while a number is handed out (gapless)."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence de reçus de dons")
        verbose_name_plural = _("séquences de reçus de dons")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Donation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente du paiement")
        PAID = "paid", _("Reçu")
        ABANDONED = "abandoned", _("Abandonné")

    # Unguessable id of the thank-you page a visitor comes back to (no session, no cookie).
    public_id = models.UUIDField(_("identifiant public"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
    )
    name = models.CharField(_("nom à remercier"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail du reçu"), blank=True)
    language = models.CharField(_("langue"), max_length=10, default="fr")
    checkout_session_id = models.CharField(_("session Stripe"), max_length=255, blank=True)
    reference = models.CharField(_("référence"), max_length=32, blank=True)
    year = models.PositiveSmallIntegerField(_("année du reçu"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("numéro dans l'année"), null=True, blank=True)
    seller = models.JSONField(_("bénéficiaire"), default=dict, blank=True)
    tax_receipt_mention = models.TextField(_("mention fiscale"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("reçu le"), null=True, blank=True, db_index=True)
    abandoned_at = models.DateTimeField(_("abandonné le"), null=True, blank=True)
    personal_data_erased_at = models.DateTimeField(_("données personnelles effacées le"), null=True, blank=True)

    class Meta:
        verbose_name = _("don")
        verbose_name_plural = _("dons")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="donations_receipt_number_once"),
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="donations_reference_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="donations_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_at__isnull=False) & ~Q(reference="")),
                name="donations_paid_has_receipt",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="donations_status_created_idx")]

    def __str__(self) -> str:
        return self.reference or _("Don %(id)s (en attente)") % {"id": self.pk}

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class DonationPayment(models.Model):
    """What Stripe reported for a Checkout Session of a donation; one row per session.

    The unique session id makes the webhook idempotent: five deliveries and the success
    redirect racing them record one row, pay once and send one email.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Reçu")
        REJECTED = "rejected", _("Refusé : montant ou devise différents")
        DUPLICATE = "duplicate", _("Reçu en double : don déjà réglé")

    donation = models.ForeignKey(Donation, verbose_name=_("don"), on_delete=models.PROTECT, related_name="payments")
    session_id = models.CharField(_("session Stripe"), max_length=255, unique=True)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    detail = models.TextField(_("détail"), blank=True)

    class Meta:
        verbose_name = _("paiement de don")
        verbose_name_plural = _("paiements de dons")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"
