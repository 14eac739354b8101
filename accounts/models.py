"""Users are Django's ``auth.User``; roles are groups (see ``creditportal.core.access``)."""
