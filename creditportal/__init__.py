"""The shared kernel every app imports: ``core`` (access, lists, forms, API machinery, events, outbox, PDFs,
formatting), the kernel's own models (outbox, idempotency keys, FX rates, permission versions), database
backend, formats, locale, base templates and static files. It imports no portal app and not the project
shell (``config``)."""
