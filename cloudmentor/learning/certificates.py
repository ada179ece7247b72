"""The PDF of a certificate of completion (LM-5), drawn with reportlab (~10 ms, no system library)."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

BRAND = colors.HexColor("#0b5cad")
ACCENT = colors.HexColor("#ff8a00")
TEXT = colors.HexColor("#16202c")
MUTED = colors.HexColor("#566476")


def _fit(pdf: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """Return the largest font size up to `size` at which `text` fits in `width`."""
    while size > 10 and pdf.stringWidth(text, font, size) > width:
        size -= 1
    return size


def certificate_pdf(
    *, holder_name: str, course_title: str, issued_at: datetime, code: str, verify_url: str, language: str
) -> bytes:
    """Return the certificate as PDF bytes, worded in `language`."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=True)
    with translation.override(language):
        pdf.setTitle(_("Certificat de réussite — %(course)s") % {"course": course_title})
        pdf.setAuthor("CloudMentor@Scale")
        pdf.setSubject(code)

        pdf.setStrokeColor(BRAND)
        pdf.setLineWidth(6)
        pdf.rect(24, 24, width - 48, height - 48)
        pdf.setStrokeColor(ACCENT)
        pdf.setLineWidth(1.5)
        pdf.rect(36, 36, width - 72, height - 72)

        pdf.setFillColor(TEXT)
        pdf.setFont("Helvetica-Bold", 22)
        pdf.drawCentredString(width / 2, height - 100, "CloudMentor")
        pdf.setFillColor(BRAND)
        pdf.drawString(width / 2 + pdf.stringWidth("CloudMentor", "Helvetica-Bold", 22) / 2, height - 100, "@Scale")

        pdf.setFillColor(MUTED)
        pdf.setFont("Helvetica", 13)
        pdf.drawCentredString(width / 2, height - 150, _("CERTIFICAT DE RÉUSSITE"))

        pdf.setFillColor(TEXT)
        pdf.setFont("Helvetica", 14)
        pdf.drawCentredString(width / 2, height - 200, _("Ce certificat atteste que"))
        size = _fit(pdf, holder_name, "Helvetica-Bold", 34, width - 160)
        pdf.setFont("Helvetica-Bold", size)
        pdf.drawCentredString(width / 2, height - 250, holder_name)
        pdf.setFont("Helvetica", 14)
        pdf.drawCentredString(width / 2, height - 290, _("a suivi et réussi le cours"))
        size = _fit(pdf, course_title, "Helvetica-Bold", 24, width - 160)
        pdf.setFillColor(BRAND)
        pdf.setFont("Helvetica-Bold", size)
        pdf.drawCentredString(width / 2, height - 330, course_title)

        pdf.setFillColor(TEXT)
        pdf.setFont("Helvetica", 13)
        date = formats.date_format(timezone.localtime(issued_at), "DATE_FORMAT")
        pdf.drawCentredString(width / 2, height - 380, _("Délivré le %(date)s") % {"date": date})

        pdf.setFillColor(MUTED)
        pdf.setFont("Helvetica", 11)
        pdf.drawCentredString(width / 2, 96, _("Code de vérification : %(code)s") % {"code": code})
        pdf.drawCentredString(width / 2, 78, _("Vérifiez ce certificat à l'adresse %(url)s") % {"url": verify_url})
        pdf.linkURL(verify_url, (width / 2 - 200, 70, width / 2 + 200, 92), relative=0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
