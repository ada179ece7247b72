"""The invoice PDF (reportlab), drawn only from what the issued invoice recorded.

Rendered once by ``services.invoice_pdf_render`` and stored; never drawn again, so a later
change of settings, plan or member details cannot alter an issued invoice.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import CheckoutConsent, CreditNote, Invoice


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    return f"{number_format(amount, decimal_pos=2, use_l10n=True)} {currency}"


def _lines(*values: Any) -> str:
    return "<br/>".join(escape(str(value)) for value in values if value)


def _parties(seller: dict[str, Any], buyer: dict[str, Any], styles: Any, *, vat_number_label: str) -> Table:
    """The seller and buyer blocks side by side, as both invoices and credit notes print them."""
    seller_lines = _lines(
        seller.get("name"),
        seller.get("address"),
        f"SIRET {seller['siret']}" if seller.get("siret") else "",
        f"{vat_number_label} {seller['vat_number']}" if seller.get("vat_number") else "",
        seller.get("email"),
    )
    buyer_lines = _lines(buyer.get("name"), buyer.get("address"), buyer.get("email"))
    return Table(
        [
            [
                Paragraph(f"<b>{escape(_('Vendeur'))}</b><br/>{seller_lines}", styles["Normal"]),
                Paragraph(f"<b>{escape(_('Client'))}</b><br/>{buyer_lines}", styles["Normal"]),
            ],
        ],
        colWidths=[87 * mm, 87 * mm],
    )


def _amounts(rows: list[list[Any]]) -> Table:
    """The amounts table (header, one line, VAT, total in bold), as invoices and credit notes print it."""
    table = Table(rows, colWidths=[86 * mm, 30 * mm, 28 * mm, 30 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (2, 3), (-1, 3), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 1), 0.5, colors.HexColor("#999999")),
            ]
        )
    )
    return table


def _consent_line(invoice: Invoice) -> str:
    """The buyer's consent to immediate access recorded with the period, if the order had one (BZ-2)."""
    consent = CheckoutConsent.objects.filter(subscription_id=invoice.subscription_id).first()
    if consent is None:
        return ""
    return _(
        "Exécution immédiate demandée par le client le %(at)s, avec renonciation expresse à son droit de "
        "rétractation (art. L221-28 13° du Code de la consommation) ; texte accepté : version %(version)s, "
        "SHA-256 %(sha)s."
    ) % {
        "at": date_format(timezone.localtime(consent.consented_at), "DATETIME_FORMAT"),
        "version": consent.text_version,
        "sha": consent.text_sha256[:16],
    }


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """Return the PDF of an issued invoice, in the buyer's language."""
    language = str(invoice.buyer.get("language") or "fr")
    with translation.override(language):
        return _draw(invoice)


def _draw(invoice: Invoice) -> bytes:
    # Labels are looked up outside f-strings, where makemessages cannot see them.
    title, vat_number_label = _("Facture"), _("N° TVA")
    issued_label, due_label = _("Date d’émission"), _("Date d’échéance")
    reference_label = _("Référence du virement")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {invoice.number}",
        author=str(invoice.seller.get("name", "")),
    )
    styles = getSampleStyleSheet()
    small = ParagraphStyle(
        "small", parent=styles["Normal"], fontSize=8.5, leading=11, textColor=colors.HexColor("#444444")
    )
    seller, buyer = invoice.seller, invoice.buyer
    issued = date_format(timezone.localtime(invoice.issued_at), "DATE_FORMAT") if invoice.issued_at else ""
    due = date_format(timezone.localtime(invoice.due_at), "DATE_FORMAT") if invoice.due_at else ""
    story: list[Any] = [
        Paragraph(f"{escape(title)} {escape(invoice.number or '')}", styles["Title"]),
        _parties(seller, buyer, styles, vat_number_label=vat_number_label),
        Spacer(1, 6 * mm),
        Paragraph(
            _lines(f"{issued_label} : {issued}", f"{due_label} : {due}"),
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rate = invoice.vat_rate or Decimal("0")
    rate_label = f"{number_format(rate * 100, decimal_pos=2, use_l10n=True)} %" if rate else "—"
    rows = [
        [_("Désignation"), _("Total HT"), _("TVA"), _("Total TTC")],
        [
            Paragraph(escape(invoice.line_description), styles["Normal"]),
            money(invoice.amount_net, invoice.currency),
            rate_label,
            money(invoice.amount_total, invoice.currency),
        ],
        ["", "", _("Montant de TVA"), money(invoice.vat_amount, invoice.currency)],
        ["", "", _("Total à payer"), money(invoice.amount_total, invoice.currency)],
    ]
    story += [_amounts(rows), Spacer(1, 6 * mm)]
    if invoice.vat_mention:
        story.append(Paragraph(escape(invoice.vat_mention), styles["Normal"]))
    consent = _consent_line(invoice)
    if consent:
        story += [Spacer(1, 3 * mm), Paragraph(escape(consent), small)]
    payment = [_("Règlement depuis votre espace membre, rubrique Facturation.")]
    if seller.get("iban"):
        payment.append(f"IBAN {seller['iban']}" + (f" — BIC {seller['bic']}" if seller.get("bic") else ""))
        payment.append(f"{reference_label} : {invoice.number}")
    payment.append(_("Pas d'escompte pour paiement anticipé. Aucun remboursement (conditions d'utilisation)."))
    story += [Spacer(1, 4 * mm), Paragraph(_lines(*payment), small)]
    document.build(story)
    return buffer.getvalue()


def credit_note_pdf_bytes(note: CreditNote) -> bytes:
    """Return the PDF of a credit note (avoir), in the buyer's language, from what it recorded (BZ-3)."""
    language = str(note.buyer.get("language") or "fr")
    with translation.override(language):
        return _draw_credit_note(note)


def _draw_credit_note(note: CreditNote) -> bytes:
    title, vat_number_label = _("Avoir"), _("N° TVA")
    issued_label = _("Date d’émission")
    invoice_label = _("Facture annulée")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {note.number}",
        author=str(note.seller.get("name", "")),
    )
    styles = getSampleStyleSheet()
    small = ParagraphStyle(
        "small", parent=styles["Normal"], fontSize=8.5, leading=11, textColor=colors.HexColor("#444444")
    )
    seller, buyer, invoice = note.seller, note.buyer, note.invoice
    issued = date_format(timezone.localtime(note.issued_at), "DATE_FORMAT")
    invoice_issued = date_format(timezone.localtime(invoice.issued_at), "DATE_FORMAT") if invoice.issued_at else ""
    story: list[Any] = [
        Paragraph(f"{escape(title)} {escape(note.number)}", styles["Title"]),
        _parties(seller, buyer, styles, vat_number_label=vat_number_label),
        Spacer(1, 6 * mm),
        Paragraph(
            _lines(
                f"{issued_label} : {issued}",
                f"{invoice_label} : {invoice.number} ({invoice_issued})",
            ),
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rate = note.vat_rate or Decimal("0")
    rate_label = f"{number_format(rate * 100, decimal_pos=2, use_l10n=True)} %" if rate else "—"
    rows = [
        [_("Désignation"), _("Total HT"), _("TVA"), _("Total TTC")],
        [
            Paragraph(escape(note.line_description), styles["Normal"]),
            money(-note.amount_net, note.currency),
            rate_label,
            money(-note.amount_total, note.currency),
        ],
        ["", "", _("Montant de TVA"), money(-note.vat_amount, note.currency)],
        ["", "", _("Total de l’avoir"), money(-note.amount_total, note.currency)],
    ]
    story += [_amounts(rows), Spacer(1, 6 * mm)]
    if note.vat_mention:
        story.append(Paragraph(escape(note.vat_mention), styles["Normal"]))
    notes = [
        _("Cet avoir annule la facture %(number)s pour la totalité de son montant.") % {"number": invoice.number},
        _("La facture annulée n’était pas payée : rien n’est à rembourser ni à payer."),
    ]
    story += [Spacer(1, 4 * mm), Paragraph(_lines(*notes), small)]
    document.build(story)
    return buffer.getvalue()
