"""Credit notes (avoirs): the document that cancels an issued invoice, numbered in its own gapless series (BZ-3)."""

from __future__ import annotations

import hashlib
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import User
from cloudmentor.mailing.services import email_queue

from .. import events
from ..models import CreditNote, CreditNoteDocument, CreditNoteSequence, Invoice
from ._common import _absolute, _now
from .invoicing import _numbers_take, _seller


def _credit_note_issue(*, invoice: Invoice, actor: User | None, reason: str) -> CreditNote:
    """Write the avoir of a locked issued invoice being voided: same amounts, its own number.

    Runs inside the void's transaction: the number, the avoir, the invoice's new status
    and the history row are written together or not at all (no gap, no orphan).
    """
    now = _now()
    year = timezone.localtime(now).year
    (sequence,) = _numbers_take(year, 1, series=CreditNoteSequence)
    buyer = dict(invoice.buyer)
    with translation.override(str(buyer.get("language") or settings.LANGUAGE_CODE)):
        description = _("Annulation de la facture %(number)s : %(line)s") % {
            "number": invoice.number,
            "line": invoice.line_description,
        }
    note = CreditNote.objects.create(
        invoice=invoice,
        customer_id=invoice.customer_id,
        number=f"{settings.BILLING_CREDIT_NOTE_PREFIX}-{year}-{sequence:06d}",
        year=year,
        sequence=sequence,
        issued_at=now,
        amount_total=invoice.amount_total,
        currency=invoice.currency,
        amount_net=invoice.amount_net if invoice.amount_net is not None else invoice.amount_total,
        vat_rate=invoice.vat_rate or 0,
        vat_amount=invoice.vat_amount or 0,
        vat_mention=invoice.vat_mention,
        line_description=description[:300],
        # A new document: today's seller details; the buyer as the invoice named them.
        seller=_seller(),
        buyer=buyer,
        reason=reason,
        created_by=actor,
    )
    events.credit_note_issued(credit_note=note, actor=actor)
    _credit_note_send(note)
    transaction.on_commit(partial(_enqueue_pdf_render, note.pk))
    return note


def _credit_note_send(note: CreditNote) -> None:
    """Send the buyer the avoir's number, amount and where to download it (PDF in the account area)."""
    email = str(note.buyer.get("email") or "")
    if not email:
        return
    language = str(note.buyer.get("language") or settings.LANGUAGE_CODE)
    email_queue(
        to=email,
        template="billing/emails/credit_note_issued",
        context={
            "username": note.buyer.get("username", ""),
            "number": note.number,
            "invoice_number": note.invoice.number,
            "amount": note.amount_total,
            "currency": note.currency,
            "pdf_url": _absolute("billing:credit_note_pdf", language, credit_note_id=note.pk),
            "billing_url": _absolute("billing:account", language),
        },
        language=language,
    )


def _enqueue_pdf_render(credit_note_id: int) -> None:
    from ..tasks import credit_note_pdf_render_task

    credit_note_pdf_render_task.enqueue(credit_note_id)


def credit_note_pdf_render(*, credit_note_id: int) -> CreditNoteDocument:
    """Render the PDF of a credit note once; later calls return the stored one."""
    from ..pdf import credit_note_pdf_bytes

    document = CreditNoteDocument.objects.filter(credit_note_id=credit_note_id).first()
    if document is not None:
        return document
    note = CreditNote.objects.select_related("invoice").get(pk=credit_note_id)
    content = credit_note_pdf_bytes(note)
    try:
        with transaction.atomic():
            return CreditNoteDocument.objects.create(
                credit_note=note, pdf=content, sha256=hashlib.sha256(content).hexdigest()
            )
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return CreditNoteDocument.objects.get(credit_note_id=credit_note_id)
