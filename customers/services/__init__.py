"""Every write of the customers app: customers, groups, contacts, documents, negative records, statements.

Services take keyword-only arguments with an explicit ``actor``, check the permission and the actor's
portfolio, validate everything before writing (a refusal changes nothing), run in one transaction, write
the audit trail in it, and publish domain events on commit."""
from ._common import User, require_visible, relationship_managers
from .customers import (CUSTOMER_FIELDS, RESUMABLE, SUSPENDABLE, customer_actions, customer_create, customer_update,
                        customer_reassign, customer_suspend, customer_resume)
from .groups import group_create, group_update
from .contacts import CONTACT_FIELDS, contact_create, contact_update, contact_delete
from .documents import (DEFAULT_DOCUMENT_TYPES, GENERIC_CONTENT_TYPES, document_types, document_upload, document_open,
                        document_delete)
from .negative_records import (EVENT_NEGATIVE_RECORD_ADDED, NEGATIVE_RECORD_FIELDS, negative_record_create,
                               negative_record_update)
from .analysis import latest_analysis_refresh
from .statements import (EVENT_STATEMENT_SAVED, STATEMENT_HEADER_FIELDS, STATEMENT_FIELDS, NON_NEGATIVE_ITEMS,
                         BALANCE_TOLERANCE_SHARE, BALANCE_TOLERANCE_MIN, validate_statement, statement_create,
                         statement_update, ImportRejected, statements_import)

__all__ = ["User", "require_visible", "relationship_managers", "CUSTOMER_FIELDS", "RESUMABLE", "SUSPENDABLE",
           "customer_actions", "customer_create", "customer_update", "customer_reassign", "customer_suspend",
           "customer_resume", "group_create", "group_update", "CONTACT_FIELDS", "contact_create", "contact_update",
           "contact_delete", "DEFAULT_DOCUMENT_TYPES", "GENERIC_CONTENT_TYPES", "document_types", "document_upload",
           "document_open", "document_delete", "EVENT_NEGATIVE_RECORD_ADDED", "NEGATIVE_RECORD_FIELDS",
           "negative_record_create", "negative_record_update", "EVENT_STATEMENT_SAVED", "STATEMENT_HEADER_FIELDS",
           "STATEMENT_FIELDS", "NON_NEGATIVE_ITEMS", "BALANCE_TOLERANCE_SHARE", "BALANCE_TOLERANCE_MIN",
           "validate_statement", "statement_create", "statement_update", "ImportRejected", "statements_import",
           "latest_analysis_refresh"]
