"""The declarations every app's models repeat, written once (like NetBox's ``ChangeLoggedModel``):

- ``user_field(label)``: a reference to the user who did something (``PROTECT``, no reverse accessor);
- ``fraction_check(field, name)``: the database check that a share (a haircut, a rate, a factor) is 0..1;
- ``Timestamped``: ``created_at`` and ``updated_at``;
- ``Recorded``: a fact a person entered (an order, a buyer limit, a notification to the insurer): who and when;
- ``StaffTable``: a configuration or portfolio-level row: when it changed last, and ``visible_to(user)`` for
  staff holding the view permission; ``StaffConfiguration`` adds who changed it (haircuts, recovery factors,
  provision rates, warning rules, caps, dunning and ratings policies);
- ``StoredFile``: an uploaded file kept with the portal's checks (name as sent, type, size, SHA-256, who
  uploaded it when); the concrete model declares ``file`` with its own ``upload_to`` (a module-level function,
  as migrations name it, built on ``customer_file_name``);
- ``MonthEndResult``: a portfolio result computed once per month end (aging snapshot, provision run);
- ``StateMachine``: a row with a django-fsm state (``FSMModelMixin`` + ``ConcurrentTransitionMixin``);
- ``state_change(field, source, target)``: a django-fsm transition that only moves the state (the service does
  the work around it), declared in one line as ``approve = state_change(state, State.PROPOSED, State.APPROVED)``.

A concrete model keeps its own ``Meta`` (names, ordering, constraints); ``StoredFile`` subclasses that want the
newest-first order extend ``StoredFile.Meta``. A label that reads differently on one table (``approved by``)
is given by redeclaring the field with ``user_field``. Inherited fields come first in ``_meta.fields``; the
columns, their names and the migrations stay as they were.
"""
from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMModelMixin, transition

from .money import CurrencyField
from .querysets import StaffQuerySet


def user_field(verbose_name, *, optional: bool = False, related_name: str = "+",
               on_delete=models.PROTECT) -> models.ForeignKey:
    """The user who did something to the row (``optional``: may be empty, e.g. a row the portal shipped)."""
    extra = {"null": True, "blank": True} if optional else {}
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=on_delete,
                             related_name=related_name, **extra)


def fraction_check(field: str, name: str) -> models.CheckConstraint:
    """``field`` holds a fraction: from 0 to 1, both included (``name``: the constraint's existing name)."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__gte": 0}) & models.Q(**{f"{field}__lte": 1}),
                                  name=name)


class Timestamped(models.Model):
    """When the row was created and when it changed last."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Recorded(models.Model):
    """A fact a person of the credit department entered: who recorded it and when."""

    created_by = user_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        abstract = True


class StaffTable(models.Model):
    """A configuration or portfolio-level row: when it changed last; every staff member holding the model's view
    permission reads it (``StaffQuerySet``)."""

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        abstract = True


class StaffConfiguration(StaffTable):
    """A configuration table that decides credit: also who changed it last (empty on a row the portal shipped)."""

    updated_by = user_field(_("updated by"), optional=True)

    class Meta:
        abstract = True


def customer_file_name(folder: str, customer_id, filename: str) -> str:
    """A server-chosen storage name: the customer's folder and a random name with the (checked) extension."""
    extension = os.path.splitext(filename)[1].lower()
    return f"{folder}/{customer_id}/{uuid.uuid4().hex}{extension}"


class StoredFile(models.Model):
    """An uploaded file as the portal checked and stored it; ``str()`` is its title or the name it came with."""

    title = models.CharField(_("title"), max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = user_field(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.title or self.original_name


class MonthEndResult(models.Model):
    """A portfolio result computed once for a month end, in the reporting currency; staff holding the view
    permission read it. ``str()`` is the month."""

    period = models.DateField(_("month end"), unique=True)
    currency = CurrencyField(verbose_name=_("reporting currency"))
    customer_count = models.PositiveIntegerField(_("customers"), default=0)

    objects = StaffQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-period"]

    def __str__(self):
        return f"{self.period:%Y-%m}"


class StateMachine(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """A row with a django-fsm state (``FSMField(protected=True)``, moved only by its transitions): ``FSMModelMixin``
    lets ``refresh_from_db`` reload the protected field, ``ConcurrentTransitionMixin`` refuses to save a state
    that someone else changed since the row was read (the services also lock the row first)."""

    class Meta:
        abstract = True


class state_change:  # noqa: N801 - used like the ``transition`` decorator it stands for
    """A django-fsm transition whose method only moves the state: every write, check and audit record around it
    is the service's. ``name = state_change(field, source, target, **options)`` in the model's body is

        @transition(field=field, source=source, target=target, **options)
        def name(self):
            pass

    (``options``: ``permission``, ``conditions``, ... of ``transition``; ``doc``: the method's docstring). The
    method gets the attribute's name, so django-fsm's transition lists, ``can_proceed`` and the available
    actions read it as before."""

    def __init__(self, field, source, target, *, doc: str | None = None, **options):
        self.field, self.source, self.target, self.doc, self.options = field, source, target, doc, options

    def __set_name__(self, owner, name):
        def method(instance):
            return None

        method.__name__ = name
        method.__qualname__ = f"{owner.__qualname__}.{name}"
        method.__module__ = owner.__module__
        method.__doc__ = self.doc
        setattr(owner, name, transition(field=self.field, source=self.source, target=self.target,
                                        **self.options)(method))
