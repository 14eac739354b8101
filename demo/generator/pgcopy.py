"""COPY: rows streamed into ``COPY … FROM STDIN``, ids chosen up front, sequences moved afterwards, foreign
keys dropped for the load and re-added."""
from __future__ import annotations

import datetime as dt
import json

from django.db import models
from django.utils import timezone


def _esc(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _fmt(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _esc(value)
    if isinstance(value, (dict, list)):
        return _esc(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def cents(value: int) -> str:
    """Integer cents as a decimal literal (``12345`` → ``123.45``)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


class Copier:
    """Streams rows of one model into ``COPY … FROM STDIN``.

    ``columns`` (attnames) vary per row; every other concrete column gets ``constants[name]`` or the
    field's default (``now`` for auto_now fields). A required column with neither is an error, so a field
    added to a model without a default shows up here at once.
    """

    FLUSH = 20000

    def __init__(self, cursor, model, columns: list[str], constants: dict | None = None, now=None,
                 spool: bool = False):
        self.spool = spool  # one connection runs one COPY at a time: spooled rows go in at __exit__
        constants = dict(constants or {})
        now = now or timezone.now()
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in [*columns, *constants] if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {unknown}")
        fixed = []
        for name, f in fields.items():
            if name in columns:
                continue
            if name in constants:
                value = constants[name]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, (models.CharField, models.TextField)):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} is required: give it a value")
            if hasattr(value, "pk"):
                value = value.pk
            fixed.append((f.column, _fmt(value)))
        self.table = model._meta.db_table
        self.columns = [fields[c].column for c in columns] + [c for c, _v in fixed]
        self.suffix = ("\t" + "\t".join(v for _c, v in fixed)) if fixed else ""
        self.cursor = cursor
        self.width = len(columns)
        self.rows = 0
        self._buffer: list[str] = []
        self._copy_cm = None
        self._copy = None

    def _statement(self):
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.table}" ({cols}) FROM STDIN'

    def __enter__(self):
        if self.spool:
            import tempfile

            self._copy = tempfile.TemporaryFile("w+", encoding="utf-8")
            return self
        self._copy_cm = self.cursor.copy(self._statement())
        self._copy = self._copy_cm.__enter__()
        return self

    def row(self, *values):
        self._buffer.append("\t".join(map(_fmt, values)) + self.suffix + "\n")
        self.rows += 1
        if len(self._buffer) >= self.FLUSH:
            self.flush()

    def raw(self, *texts: str):
        """A row of values already in COPY text form (no escaping: digits, dates, plain words, ``\\N``)."""
        self._buffer.append("\t".join(texts) + self.suffix + "\n")
        self.rows += 1
        if len(self._buffer) >= self.FLUSH:
            self.flush()

    def flush(self):
        if self._buffer:
            self._copy.write("".join(self._buffer))
            self._buffer = []

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.flush()
        if not self.spool:
            return self._copy_cm.__exit__(exc_type, exc, tb)
        spool = self._copy
        try:
            if exc_type is None:
                spool.seek(0)
                with self.cursor.copy(self._statement()) as copy:
                    while block := spool.read(1 << 20):
                        copy.write(block)
        finally:
            spool.close()
        return False


_TOUCHED: set = set()  # models whose ids the generator chose: their sequences move afterwards


def next_id(cursor, model) -> int:
    _TOUCHED.add(model)
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
    return cursor.fetchone()[0]


def move_sequence(cursor, model):
    table = model._meta.db_table
    cursor.execute(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')")
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), 1))', [sequence])


class foreign_keys_dropped:
    """Drop the foreign keys of ``tables`` for the load and add them back (validated set-wise, one
    anti-join per key) instead of a row-by-row check of every inserted row at commit — what pg_restore
    does. Inside the caller's transaction: if a key does not hold, the whole load rolls back."""

    def __init__(self, cursor, tables):
        self.cursor = cursor
        self.tables = list(tables)
        self.saved = []

    def __enter__(self):
        self.cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])", [self.tables])
        self.saved = self.cursor.fetchall()
        for table, name, _definition in self.saved:
            self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for table, name, definition in self.saved:
                self.cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return False
