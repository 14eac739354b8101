"""Shared machinery every app may use: clock, money and FX, errors, access rules, API base, PDF.

Nothing in here imports a portal app (checked by import-linter).
"""
