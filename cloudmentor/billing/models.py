"""Plans, customers, subscriptions, invoices, payments and the billing history (TM-4, TM-6..8, PV-3).

Money is always a ``Decimal`` with two places next to its ISO 4217 ``currency``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .exceptions import IssuedDocumentChanged


class AccessLevel(models.IntegerChoices):
    """What a plan opens; learning material requires one of these levels (LM-3)."""

    FREE = 0, _("Gratuit")
    ESSENTIAL = 10, _("Essentiel")
    PRO = 20, _("Pro")
    EXPERT = 30, _("Expert")


class Plan(models.Model):
    """What is sold: an access level for a number of months, at a price.

    A price change applies to later purchases only: subscriptions and invoices keep the
    price they were bought at (TM-7).
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuel")
        GROUP = "group", _("Groupe")

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100, blank=True)
    description = models.TextField(_("ce que l'offre comprend"), blank=True)
    description_en = models.TextField(_("ce que l'offre comprend (anglais)"), blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    seats = models.PositiveIntegerField(_("places (offre de groupe)"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"))
    price = models.DecimalField(_("prix TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    access_level = models.IntegerField(_("niveau d'accès"), choices=AccessLevel.choices)
    is_purchasable = models.BooleanField(_("en vente"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        ordering = ["position", "duration_months", "price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="billing_plan_price_not_negative"),
            models.CheckConstraint(condition=Q(duration_months__gte=1), name="billing_plan_duration_positive"),
            models.CheckConstraint(
                condition=Q(kind="individual", seats__isnull=True) | Q(kind="group", seats__gte=2),
                name="billing_plan_seats_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def display_description(self) -> str:
        if (get_language() or "").startswith("en") and self.description_en:
            return self.description_en
        return self.description

    @property
    def is_free(self) -> bool:
        return self.price == Decimal("0")


class Customer(models.Model):
    """Who holds subscriptions and receives invoices: a member, or a group (PV-1).

    Exactly one of ``user`` and ``group`` (docs/decisions/0009-billing-customer-holder.md).
    For a group, "the subscriber" is its owner (TM-2): invoices and their emails go to the
    owner (`contact`), and the owner's account is the one disabled past a deadline (TM-6).
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuel")
        GROUP = "group", _("Groupe")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    # PROTECT: invoices are kept 10 years (PV-10); erasure anonymises, it never deletes them.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_customer",
    )
    group = models.OneToOneField(
        "accounts.Group",
        verbose_name=_("groupe"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_customer",
    )
    billing_name = models.CharField(_("nom ou raison sociale sur les factures"), max_length=200, blank=True)
    billing_address = models.TextField(_("adresse de facturation"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="individual", user__isnull=False, group__isnull=True)
                | Q(kind="group", group__isnull=False, user__isnull=True),
                name="billing_customer_has_one_holder",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return str(self.user)
        if self.group_id:
            return f"{self.group} ({self.get_kind_display()})"
        return f"#{self.pk}"

    @property
    def contact(self) -> Any:
        """Return the account that receives the invoices and their emails: the member, or the group's owner."""
        if self.user_id:
            return self.user
        return self.group.owner if self.group_id and self.group else None

    def is_held_by(self, user: Any) -> bool:
        """Tell whether `user` is the subscriber: the member, or the group's owner (TM-2)."""
        if self.user_id is not None:
            return bool(self.user_id == user.pk)
        return bool(self.group_id is not None and self.group and self.group.owner_id == user.pk)


class Subscription(models.Model):
    """One period of access of a customer, with the price and level fixed when it was created.

    Periods stack: a purchase or an extension starts where the customer's last period ends
    (TM-8). Rows are never changed afterwards, except ``ended_recorded_at``.
    """

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("Achat")
        EXTENSION = "extension", _("Prolongation")
        GRANT = "grant", _("Accès offert par l'équipe")
        STAFF_CHANGE = "staff_change", _("Changement de durée par l'équipe")

    customer = models.ForeignKey(
        Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    # None for a free grant, which gives a level rather than a plan (TM-4).
    plan = models.ForeignKey(
        Plan, verbose_name=_("offre"), on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions"
    )
    access_level = models.IntegerField(_("niveau d'accès"), choices=AccessLevel.choices)
    price = models.DecimalField(_("prix TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices)
    # A staff change adds a period to the subscription it lengthens.
    changed_from = models.ForeignKey(
        "self",
        verbose_name=_("prolonge l'abonnement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
    )
    reason = models.TextField(_("motif"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    # Set by the billing run when the "period ended" history row is written (once).
    ended_recorded_at = models.DateTimeField(_("fin enregistrée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="billing_period_not_empty"),
            models.CheckConstraint(condition=Q(price__gte=0), name="billing_subscription_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "ends_at"], name="billing_sub_customer_end_idx"),
            models.Index(
                fields=["ends_at"], condition=Q(ended_recorded_at__isnull=True), name="billing_sub_end_pending_idx"
            ),
            # The staff home's sales and ends of this week (BZ-5, decision 0134).
            models.Index(fields=["created_at"], name="billing_sub_created_idx"),
            models.Index(fields=["ends_at"], name="billing_sub_end_idx"),
        ]

    def __str__(self) -> str:
        label = self.plan.display_name if self.plan_id and self.plan else self.get_access_level_display()
        return f"{label} ({self.starts_at:%Y-%m-%d} → {self.ends_at:%Y-%m-%d})"


class InvoiceSequence(models.Model):
    """The last invoice number given in a year; locked while numbers are handed out (gapless)."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence de factures")
        verbose_name_plural = _("séquences de factures")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class RecordedValuesMixin(models.Model):
    """Remember the values a row had in the database, to refuse changes to an issued document (BZ-3).

    The database refuses them too (``billing/immutability.py``): this guard only answers
    earlier, with a domain error instead of a database one.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._recorded = {
            name: value for name, value in zip(field_names, values, strict=True) if value is not models.DEFERRED
        }
        return instance

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, from_queryset: Any = None
    ) -> None:
        fields = list(fields) if fields is not None else None
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        recorded = getattr(self, "_recorded", {})
        for field in self._meta.concrete_fields:
            if fields is None or field.name in fields or field.attname in fields:
                recorded[field.attname] = getattr(self, field.attname)
        self._recorded = recorded

    def _changed(self, names: Iterable[str]) -> list[str]:
        recorded: dict[str, Any] = getattr(self, "_recorded", {})
        changed = []
        for name in names:
            attname = str(getattr(self._meta.get_field(name), "attname", name))
            if attname in recorded and getattr(self, attname) != recorded[attname]:
                changed.append(name)
        return changed


# What an issued invoice recorded and never changes (BZ-3): the database guards the same columns.
INVOICE_FROZEN_FIELDS = (
    "customer",
    "subscription",
    "number",
    "year",
    "sequence",
    "amount_total",
    "currency",
    "amount_net",
    "vat_rate",
    "vat_amount",
    "vat_mention",
    "line_description",
    "period_starts_at",
    "period_ends_at",
    "seller",
    "buyer",
    "issued_at",
    "due_at",
)
# An issued invoice only moves from "open" to "paid" or "void"; these are final, with their dates.
INVOICE_FINAL_STATUSES = ("paid", "void")


class Invoice(RecordedValuesMixin):
    """An invoice for one subscription.

    Created as a draft when the period is bought; the billing run issues it
    ``BILLING_INVOICE_DELAY_DAYS`` later: number, seller and buyer details, VAT and due
    date are fixed then and never change; the PDF is rendered once from them.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("À émettre")
        OPEN = "open", _("À payer")
        PAID = "paid", _("Payée")
        VOID = "void", _("Annulée")

    customer = models.ForeignKey(Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("abonnement"), on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("numéro"), max_length=32, unique=True, null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("rang dans l'année"), null=True, blank=True)
    amount_total = models.DecimalField(_("total TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    amount_net = models.DecimalField(_("total HT"), null=True, blank=True, max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=4, null=True, blank=True)
    vat_amount = models.DecimalField(_("TVA"), null=True, blank=True, max_digits=10, decimal_places=2)
    vat_mention = models.CharField(_("mention TVA"), max_length=200, blank=True)
    line_description = models.CharField(_("désignation"), max_length=300, blank=True)
    period_starts_at = models.DateTimeField(_("début de la période"))
    period_ends_at = models.DateTimeField(_("fin de la période"))
    seller = models.JSONField(_("vendeur"), default=dict, blank=True)
    buyer = models.JSONField(_("acheteur"), default=dict, blank=True)
    scheduled_at = models.DateTimeField(_("à émettre le"))
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    paid_at = models.DateTimeField(_("payée le"), null=True, blank=True)
    voided_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    # Set when the billing run has acted on the missed deadline (disabled the account),
    # so that a staff re-enable is not undone by the next run.
    overdue_processed_at = models.DateTimeField(_("échéance dépassée traitée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="billing_invoice_number_unique"),
            models.CheckConstraint(condition=Q(amount_total__gt=0), name="billing_invoice_amount_positive"),
            models.CheckConstraint(
                # A draft cancelled before it was issued stays without a number (none was used).
                condition=Q(status="draft")
                | Q(status="void", number__isnull=True, issued_at__isnull=True)
                | Q(number__isnull=False, issued_at__isnull=False, due_at__isnull=False),
                name="billing_invoice_issued_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["scheduled_at"], condition=Q(status="draft"), name="billing_invoice_to_issue_idx"),
            models.Index(
                fields=["due_at"],
                condition=Q(status="open", overdue_processed_at__isnull=True),
                name="billing_invoice_to_chase_idx",
            ),
            models.Index(fields=["customer", "status"], name="billing_invoice_customer_idx"),
            # The staff home's invoices due and overdue (BZ-5, decision 0134): a few among millions.
            models.Index(fields=["due_at"], condition=Q(status="open"), name="billing_invoice_open_idx"),
        ]

    def __str__(self) -> str:
        return self.number or _("brouillon n° %(pk)s") % {"pk": self.pk}

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.was_issued:
            changed = self._changed(INVOICE_FROZEN_FIELDS)
            if self._recorded.get("status") in INVOICE_FINAL_STATUSES:
                changed += self._changed(("status", "paid_at", "voided_at"))
            if changed:
                raise IssuedDocumentChanged(f"invoice {self._recorded['number']}: {', '.join(changed)}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.was_issued or self.number:
            raise IssuedDocumentChanged(f"invoice {self.number}: an issued invoice is kept (credit note instead)")
        return super().delete(*args, **kwargs)

    @property
    def is_payable(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def was_issued(self) -> bool:
        """Tell whether the row, as last read from the database, is an issued invoice (it has a number)."""
        return getattr(self, "_recorded", {}).get("number") is not None


class InvoiceDocument(models.Model):
    """The invoice's PDF, rendered once from the issued invoice and never replaced.

    Kept in the database (a few KB) so that every web server of a cluster serves it.
    """

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, primary_key=True, related_name="document"
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    rendered_at = models.DateTimeField(_("produit le"), default=timezone.now)

    class Meta:
        verbose_name = _("PDF de facture")
        verbose_name_plural = _("PDF de factures")

    def __str__(self) -> str:
        return f"PDF {self.invoice_id}"


class Payment(models.Model):
    """Money received (or refused) for an invoice.

    ``(provider, reference)`` is unique: a Stripe Checkout Session pays once, however
    many times its webhook is delivered.
    """

    class Provider(models.TextChoices):
        MANUAL = "manual", _("Virement bancaire")
        STRIPE = "stripe", _("Carte bancaire (Stripe)")
        DEMO = "demo", _("Carte de démonstration (hors production)")

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Reçu")
        REJECTED = "rejected", _("Refusé : montant ou devise différents")
        DUPLICATE = "duplicate", _("Reçu en double : facture déjà payée")

    invoice = models.ForeignKey(Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("moyen"), max_length=20, choices=Provider.choices)
    reference = models.CharField(_("référence"), max_length=255, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistré par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.TextField(_("détail"), blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], condition=~Q(reference=""), name="billing_payment_reference_once"
            ),
        ]
        # This month's revenue on the staff home reads a range of dates (BZ-5, decision 0134).
        indexes = [models.Index(fields=["received_at"], name="billing_payment_received_idx")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_provider_display()})"


class CheckoutConsent(models.Model):
    """The buyer's express request for immediate access, with the loss of the withdrawal right (BZ-2).

    One per order, written in the order's transaction: the date, the exact text the buyer
    ticked (its version and SHA-256) and the order key of the summary page, unique so that
    a second submission of the same summary finds the first order instead of making another.
    Printed on the invoice of the period it came with.
    """

    subscription = models.OneToOneField(
        Subscription, verbose_name=_("abonnement"), on_delete=models.PROTECT, related_name="consent"
    )
    order_key = models.UUIDField(_("clé de commande"), unique=True)
    consented_at = models.DateTimeField(_("consenti le"))
    text_version = models.CharField(_("version du texte"), max_length=20)
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64)
    language = models.CharField(_("langue"), max_length=10)

    class Meta:
        verbose_name = _("consentement à l'exécution immédiate")
        verbose_name_plural = _("consentements à l'exécution immédiate")

    def __str__(self) -> str:
        return f"{self.text_version} ({self.consented_at:%Y-%m-%d %H:%M})"


class DemoCheckoutSession(models.Model):
    """A payment opened with the demo provider, outside production (BZ-1).

    What Stripe keeps for a Checkout Session, kept here instead so that every process
    (and every web node) sees the same session.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        COMPLETE = "complete", _("Payée")
        EXPIRED = "expired", _("Abandonnée")

    id = models.CharField(_("identifiant"), max_length=64, primary_key=True)
    metadata = models.JSONField(_("métadonnées"), default=dict, blank=True)
    client_reference_id = models.CharField(_("référence"), max_length=255, blank=True)
    description = models.CharField(_("désignation"), max_length=300)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    customer_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    success_url = models.TextField(_("adresse de retour (succès)"))
    cancel_url = models.TextField(_("adresse de retour (abandon)"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    declines = models.PositiveIntegerField(_("cartes refusées"), default=0)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("paiement de démonstration")
        verbose_name_plural = _("paiements de démonstration")

    def __str__(self) -> str:
        return self.id


class CreditNoteSequence(models.Model):
    """The last credit note number given in a year: a series of its own, gapless like the invoices'."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence d'avoirs")
        verbose_name_plural = _("séquences d'avoirs")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CreditNote(models.Model):
    """An avoir: the document that cancels an issued invoice (BZ-3).

    French rules forbid deleting or editing an invoice once its number is issued; a voided
    invoice is cancelled by a credit note of the same amount that refers to it. Written
    once, complete, when the invoice is voided; never changed nor deleted (the database
    refuses it too). It records no refund: a voided invoice was never paid (TM-7).
    """

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("facture annulée"), on_delete=models.PROTECT, related_name="credit_note"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    number = models.CharField(_("numéro"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang dans l'année"))
    issued_at = models.DateTimeField(_("émis le"))
    amount_total = models.DecimalField(_("total TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    amount_net = models.DecimalField(_("total HT"), max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=4)
    vat_amount = models.DecimalField(_("TVA"), max_digits=10, decimal_places=2)
    vat_mention = models.CharField(_("mention TVA"), max_length=200, blank=True)
    line_description = models.CharField(_("désignation"), max_length=300)
    seller = models.JSONField(_("vendeur"), default=dict)
    buyer = models.JSONField(_("acheteur"), default=dict)
    reason = models.TextField(_("motif"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("émis par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("avoir")
        verbose_name_plural = _("avoirs")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="billing_credit_note_number_unique"),
            models.CheckConstraint(condition=Q(amount_total__gt=0), name="billing_credit_note_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedDocumentChanged(f"credit note {self.number}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise IssuedDocumentChanged(f"credit note {self.number}")


class CreditNoteDocument(models.Model):
    """The credit note's PDF, rendered once and kept in the database (like ``InvoiceDocument``)."""

    credit_note = models.OneToOneField(
        CreditNote, verbose_name=_("avoir"), on_delete=models.PROTECT, primary_key=True, related_name="document"
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    rendered_at = models.DateTimeField(_("produit le"), default=timezone.now)

    class Meta:
        verbose_name = _("PDF d'avoir")
        verbose_name_plural = _("PDF d'avoirs")

    def __str__(self) -> str:
        return f"PDF {self.credit_note_id}"


class BillingEvent(models.Model):
    """One row of a customer's registration history (PV-3); never deleted (PV-8).

    Registration, disabling and re-enabling are recorded by accounts (AccountEvent); the
    history page shows both.
    """

    class Kind(models.TextChoices):
        PURCHASED = "purchased", _("Abonnement souscrit")
        EXTENDED = "extended", _("Abonnement prolongé")
        GRANTED = "granted", _("Accès offert par l'équipe")
        STAFF_CHANGED = "staff_changed", _("Durée modifiée par l'équipe")
        INVOICE_ISSUED = "invoice_issued", _("Facture émise")
        INVOICE_PAID = "invoice_paid", _("Facture payée")
        INVOICE_VOIDED = "invoice_voided", _("Facture annulée")
        PAYMENT_REJECTED = "payment_rejected", _("Paiement refusé")
        CREDIT_NOTE_ISSUED = "credit_note_issued", _("Avoir émis")
        PERIOD_ENDED = "period_ended", _("Période terminée")

    customer = models.ForeignKey(Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("événement"), max_length=30, choices=Kind.choices)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("abonnement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.TextField(_("détail"), blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement de facturation")
        verbose_name_plural = _("historique de facturation")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["customer", "created_at"], name="billing_event_customer_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class ExpiryReminder(models.Model):
    """A reminder sent before a customer's validity end, offering the extension (BZ-4).

    One row per customer, validity end and day count (``BILLING_REMINDER_DAYS``): the unique
    constraint makes the job idempotent, even with two runs at once. An extension moves the
    end, so the next end gets its own reminders.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="expiry_reminders"
    )
    validity_end_at = models.DateTimeField(_("fin de validité annoncée"))
    days_before = models.PositiveSmallIntegerField(_("jours avant la fin"))
    sent_at = models.DateTimeField(_("envoyée le"), default=timezone.now)

    class Meta:
        verbose_name = _("relance avant la fin de validité")
        verbose_name_plural = _("relances avant la fin de validité")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "validity_end_at", "days_before"], name="billing_expiry_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"J-{self.days_before} ({self.validity_end_at:%Y-%m-%d})"
