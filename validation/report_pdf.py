"""The validation report PDF, through the shared renderer (``creditportal.core.pdf.render_pdf``)."""
from django.utils import timezone

from creditportal.core.pdf import render_pdf

from .presentation import run_context


def validation_report_pdf(run, *, language: str | None = None) -> bytes:
    context = {"run": run, "printed_at": timezone.localtime(), **run_context(run)}
    return render_pdf("validation/pdf/report.html", context, language=language)
