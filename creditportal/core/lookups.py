"""``field__any=ids``: membership in a long list of values as ONE parameter.

Django's ``__in`` sends one placeholder per value. For the thousands of ids of a batch chunk that makes a
query text that grows with the list, which Django builds value by value and psycopg then parses again
(client-side binding): a quarter of the re-rating's time per customer (bench/FINDINGS.md). On PostgreSQL
``__any`` is ``field = ANY(%s)`` with the list as one array parameter; elsewhere it is a plain ``IN``.
The values are used as given (ids, codes): no per-value preparation.
"""
from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup  # relations keep their own lookup table (ForeignObject.get_class_lookups)
@Field.register_lookup
class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def process_rhs(self, compiler, connection):
        return "%s", [list(self.rhs)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
