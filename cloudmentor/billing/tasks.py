from __future__ import annotations

from django_tasks import task

from .services import credit_note_pdf_render, invoice_pdf_render


@task()
def invoice_pdf_render_task(invoice_ids: list[int]) -> int:
    """Render the PDFs of freshly issued invoices (each once; safe to run twice)."""
    for invoice_id in invoice_ids:
        invoice_pdf_render(invoice_id=invoice_id)
    return len(invoice_ids)


@task()
def credit_note_pdf_render_task(credit_note_id: int) -> int:
    """Render the PDF of a freshly issued credit note (once; safe to run twice)."""
    credit_note_pdf_render(credit_note_id=credit_note_id)
    return credit_note_id
