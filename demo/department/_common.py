"""What the department's writers share: rows written in bulk with the times they were made."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def as_made(model, *names):
    """Inside: ``bulk_create`` of ``model`` keeps the values set on the rows' ``names`` (``auto_now_add`` /
    ``auto_now`` fields would stamp them now): a row of the history carries the day it was made. Every row
    must have them set. The management command is single-threaded; the fields are restored on the way out."""
    fields = [model._meta.get_field(name) for name in names]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def bulk_made(model, rows, instants, fields=("created_at", "updated_at"), batch_size=500) -> list:
    """``bulk_create`` of ``rows``, each stamped ``fields`` = its instant (``as_made``); returns the rows."""
    for row, at in zip(rows, instants):
        for name in fields:
            setattr(row, name, at)
    with as_made(model, *fields):
        return model.objects.bulk_create(rows, batch_size=batch_size)
