"""The documents: each module gathers one document's data (``*_context``) for its template."""
