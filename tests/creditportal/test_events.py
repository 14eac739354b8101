"""Domain events (``creditportal.core.events``): every published event is declared, has a subscriber and is
documented; every subscribed event is published somewhere. Publishes are found by scanning the apps' source
for ``publish_on_commit(...)`` calls; subscribers are the handlers the apps' ``ready`` registered."""
import ast
import importlib
import pathlib

from django.conf import settings

from creditportal.core import events

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _published() -> dict[str, list[str]]:
    """``{event name: [where, ...]}`` of every ``publish_on_commit(event, ...)`` in the portal's code."""
    found: dict[str, list[str]] = {}
    for app in settings.LOCAL_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name != "publish_on_commit":
                    continue
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    event = arg.value
                else:  # a constant: evaluated in its module
                    module = importlib.import_module(_module_name(path))
                    event = str(eval(ast.unparse(arg), vars(module)))  # noqa: S307 - our own source
                found.setdefault(event, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _subscribed() -> set[str]:
    """Events with a handler registered by an app (not by a test)."""
    return {name for name, handlers in events._subscribers.items()
            if any(not getattr(h, "__module__", "").startswith("tests") for h in handlers)}


def test_events_are_published_and_subscribed_in_pairs():
    published = _published()
    declared = events.declared()
    assert published, "the scan found no publish_on_commit call"
    assert set(published) <= set(declared), "publish a declared event (<app>/events.py)"
    assert set(declared) <= set(published), "a declared event nobody publishes: delete it"
    subscribed = _subscribed()
    unhandled = {name for name in published if name not in subscribed and not declared[name].unsubscribed}
    assert not unhandled, f"published but nobody subscribes: {sorted(unhandled)} (delete the publish)"
    assert subscribed <= set(published), f"subscribed but never published: {sorted(subscribed - set(published))}"


def test_every_event_is_documented():
    text = (ROOT / "docs" / "DEVELOPING.md").read_text()
    missing = [name for name in events.declared() if f"`{name}`" not in text]
    assert not missing, f"document these events in docs/DEVELOPING.md: {missing}"


def test_an_undeclared_event_is_refused():
    import pytest

    with pytest.raises(LookupError):
        events.publish_on_commit("customers.no_such_event", customer_id=1)
    with pytest.raises(LookupError):
        events.subscribe("customers.no_such_event", lambda **kw: None)
