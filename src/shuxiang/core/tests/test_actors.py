"""No service accepts a string as its actor, anywhere in the platform.

Two meta-tests over the whole source tree: every `do_*` service takes a required `actor` (no default that
could stand for "the system"), and no code tests an actor for being a string or None to grant it a pass.
Each app's own tests call its services with a bare string and expect TypeError.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import shuxiang
from shuxiang.core.actors import OPERATOR, Actor, as_actor

# Services whose caller is by nature the person they act on (no one else may call them for another).
ACTOR_IS_THE_SUBJECT = {"shuxiang.core.services.do_mark_notifications_read"}


def _service_functions():
    for info in pkgutil.walk_packages(shuxiang.__path__, "shuxiang."):
        if any(part in info.name for part in (".tests", ".migrations", ".management")):
            continue
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("do_") and fn.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", fn


def test_every_service_takes_a_required_actor():
    problems = []
    for qualified, fn in _service_functions():
        if qualified in ACTOR_IS_THE_SUBJECT:
            continue
        param = inspect.signature(fn).parameters.get("actor")
        if param is None:
            problems.append(f"{qualified}: no actor parameter")
        elif param.default is not inspect.Parameter.empty:
            problems.append(f"{qualified}: actor defaults to {param.default!r}")
    assert problems == []


def test_no_code_lets_a_string_or_none_stand_for_a_trusted_caller():
    root = Path(shuxiang.__file__).parent
    pattern = re.compile(r"isinstance\(actor,\s*str\)|\bactor\s+is\s+(not\s+)?None|\bactor\s*==\s*None")
    allowed = {root / "core" / "permissions.py"}  # the gate itself refuses them (has_perm → False, TypeError)
    hits = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert hits == []


def test_the_actor_vocabulary_is_closed():
    for bad in ("cli", "", None, 0):
        try:
            as_actor(bad)
        except TypeError:
            continue
        raise AssertionError(f"{bad!r} was accepted as an actor")
    assert as_actor(OPERATOR) is OPERATOR
    assert Actor.system("tasks").audit_label == "system:tasks"
    assert Actor.device("4309000001").audit_label == "device:4309000001"
    assert Actor.anonymous("consumer").human is None
