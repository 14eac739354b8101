"""One rating report PDF (``reports.services.rating_report_pdf``: context, template, WeasyPrint) vs
WeasyPrint rendering the same HTML alone (``creditportal.core.pdf.html_to_pdf``), in Chinese.
Medians measured alternately after a warm-up. Target (issue 25, raised from 1.3×): ≤ ``TARGET``×."""
from __future__ import annotations

from bench.core import interleaved

NAME = "pdf"
LANGUAGE = "zh-hans"
TARGET = 1.15


def pick_rating():
    from django.db.models import Count

    from ratings.models import Rating, RatingState

    return (Rating.objects.filter(state=RatingState.APPROVED)
            .annotate(n=Count("customer__statements")).order_by("-n", "customer_id").first())


def run(ctx) -> dict:
    from creditportal.core.pdf import html_to_pdf
    from reports import services

    rating = pick_rating()
    html = services.rating_report_html(rating, LANGUAGE)
    document = services.rating_report_pdf(rating, LANGUAGE)
    ctx.log(f"  rating {rating.pk}: HTML {len(html):,} chars, PDF {len(document):,} bytes")
    if ctx.smoke:
        return {"title": "Rating report PDF", "pdf_bytes": len(document), "targets": {}}
    medians = interleaved({"report": lambda: services.rating_report_pdf(rating, LANGUAGE),
                           "weasyprint": lambda: html_to_pdf(html)}, max(5, ctx.repeat))
    ratio = medians["report"] / medians["weasyprint"]
    ctx.log(f"  report {medians['report'] * 1000:.0f} ms, WeasyPrint alone {medians['weasyprint'] * 1000:.0f} ms, "
            f"ratio {ratio:.2f}")
    return {
        "title": "Rating report PDF",
        "rating_id": rating.pk,
        "pdf_bytes": len(document),
        "report_ms": round(medians["report"] * 1000, 1),
        "weasyprint_ms": round(medians["weasyprint"] * 1000, 1),
        "ratio": round(ratio, 2),
        "targets": {f"≤ {TARGET}× WeasyPrint alone": ratio <= TARGET},
    }
