"""The member's credit notes (avoirs): the PDF, as rendered once when the invoice was voided (BZ-3)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from cloudmentor.accounts.http import AuthenticatedHttpRequest

from . import selectors, services
from .models import CreditNote


@login_required
def credit_note_pdf(request: AuthenticatedHttpRequest, credit_note_id: int) -> HttpResponse:
    """Send the credit note's PDF to its buyer (or to staff who handle invoices)."""
    try:
        note = selectors.access_credit_note(viewer=request.user, credit_note_id=credit_note_id)
    except CreditNote.DoesNotExist as error:
        raise Http404 from error
    document = services.credit_note_pdf_render(credit_note_id=note.pk)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{note.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
