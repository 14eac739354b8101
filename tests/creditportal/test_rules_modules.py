"""One home per rule: each app's pure rules live in ``<app>/rules.py`` (the rating mathematics in
``ratings/engine/``), import no Django, no portal machinery and no other app, and import-linter keeps it so
(one forbidden contract per rules module, in pyproject.toml)."""
import ast
import pathlib
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ["audit", "accounts", "customers", "creditinfo", "ratings", "credit", "collection", "insurance", "monitoring", "reports",
        "validation", "demo"]
RULES_MODULES = {"customers": "customers.rules", "credit": "credit.rules", "collection": "collection.rules",
                 "monitoring": "monitoring.rules", "creditinfo": "creditinfo.rules", "insurance": "insurance.rules"}
FORBIDDEN = ("django", "rest_framework", "creditportal")


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
    return names


@pytest.mark.parametrize("app, module", sorted(RULES_MODULES.items()))
def test_rules_module_imports_no_django_and_no_other_app(app, module):
    path = ROOT / (module.replace(".", "/") + ".py")
    package = ROOT / module.replace(".", "/")
    assert path.exists() or (package / "__init__.py").exists(), f"{module} is the home of {app}'s rules"
    files = [path] if path.exists() else sorted(package.rglob("*.py"))  # a module, or a package split by section
    bad = [name for file in files for name in _imports(file)
           if name.split(".")[0] in FORBIDDEN or name.split(".")[0] in set(APPS) - {app}]
    assert bad == []


def test_the_old_homes_are_gone():
    for old in ("customers/ratios.py", "collection/logic.py", "monitoring/logic.py"):
        assert not (ROOT / old).exists(), old


def test_every_rules_module_has_its_import_linter_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    for app, module in RULES_MODULES.items():
        contract = next((c for c in contracts if c.get("type") == "forbidden" and c["source_modules"] == [module]),
                        None)
        assert contract is not None, module
        assert set(FORBIDDEN) | (set(APPS) - {app}) <= set(contract["forbidden_modules"])


def test_import_linter_keeps_every_contract():
    from importlinter.cli import lint_imports

    assert lint_imports(no_cache=True) == 0
