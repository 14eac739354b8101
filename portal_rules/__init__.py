"""Plain-Python helpers shared by the pure rules modules (``<app>/rules.py``, ``ratings/engine/``) and the
kernel: no Django, no portal machinery, no app (import-linter contract in pyproject.toml)."""
