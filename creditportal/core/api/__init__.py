"""The API's common parts: deny-by-default permissions, pagination, token auth (errors: ``api_errors``).

One module per part; this package re-exports their public names, so the dotted paths in
``REST_FRAMEWORK`` (``creditportal.core.api.ActionPermission``, ``…StandardPagination``, …) and every
``from creditportal.core.api import …`` keep working:

* ``auth`` — token authentication (one prepared statement per token model) and ``ActionPermission`` (with
  ``model_permissions``, the map of a viewset's standard actions to the model's own permissions);
* ``prepared`` — statements run as server-side prepared statements (the token lookup, the big lists' pages);
* ``inputs`` — what a request body may carry: visible related objects, ASCII-only numbers, ``validated``;
* ``filtering`` — the filter backends (django-filter's, DRF's search naming its parameter);
* ``pagination`` — pages of 20, and the big lists' estimated counts (``creditportal.core.pagination``'s
  ``EstimatingPaginator`` and ``creditportal.core.estimates``, shared with the list pages);
* ``serializers`` — lists of model rows with less work per row (``FastListSerializer``);
* ``rowplan`` — reading a serializer's columns as plain ``values_list`` rows (``RowPlan``);
* ``rowlists`` — the big lists read from plain rows as prepared statements (``RowListMixin``);
* ``renderers`` — remembered content negotiation and the orjson renderer of the big lists;
* ``writes`` — writes that are one service call each (``ServiceWritesMixin``).
"""
from .prepared import PREPARE_ONLY_WHEN_ASKED, prepared_cursor
from .auth import ActionPermission, ActiveUserTokenAuthentication, model_permissions, security_log
from .inputs import (
    DecimalField, IntegerField, VisibleRelatedField, referenced_object, use_ascii_number_fields, validated,
)
from .filtering import FilterBackend, SearchFilter
from ..estimates import (
    ESTIMATE_SECONDS, forget_table_estimates, table_estimate, unfiltered_table_estimate, whole_table,
)
from ..pagination import ESTIMATE_COUNT_ABOVE, EstimatingPaginator
from .pagination import EstimatedCountPagination, StandardPagination
from .serializers import CachedFieldsMixin, FastListSerializer, concrete_columns
from .rowplan import RowPlan, RowPlanUnsupported, _decimal_as_written, _same_scale_decimal, _unchanged_by, row_plan
from .rowlists import RowListMixin, STATEMENT_LIMIT, STATEMENT_SECONDS, StatementRows, forget_statements
from .renderers import CachedContentNegotiation, RowJSONRenderer
from .writes import ServiceWritesMixin
