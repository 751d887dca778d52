"""Signal types that domain apps add to the warnings engine.

The engine never imports a domain app. An app that issues its own kind of warning (动物疫情, 农产品价格预警,
公共卫生提示, …) registers the type once in its AppConfig.ready(); the engine creates every registered type
beside the national ones after each migrate and flush (`ensure_signal_types`). A row already there — possibly
edited by the county — is left as it is.

Apps also hear about every warning that goes out: `register_on_issued(callback)` (in ready()) has
`callback(warning_id)` called after the transaction that issued it commits — a warning written here, one
imported from a CAP feed, an Update or a Cancel alike. The callback reads the warning itself and does its
own writes (with its own actor); an error in it is logged and does not touch the issued warning.
"""

_REGISTERED: dict[str, dict] = {}


def register_signal_type(fields: dict, *, order: int) -> None:
    """`fields`: the SignalType's columns (code, name, category, colours, guides, …); `order` places it
    among the types in lists and forms (national types are 10–990 in steps of 10)."""
    _REGISTERED[fields["code"]] = {**fields, "order": order}


def registered() -> list[dict]:
    return [dict(row) for row in _REGISTERED.values()]


_ON_ISSUED: list = []


def register_on_issued(callback) -> None:
    """`callback(warning_id: int)`, run on commit after a warning is issued or imported (each once)."""
    if callback not in _ON_ISSUED:
        _ON_ISSUED.append(callback)


def on_issued() -> list:
    return list(_ON_ISSUED)
