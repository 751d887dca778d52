"""Where the current change comes from (web, api, cli, mqtt, task), for the audit log.

Services take the actor explicitly; the context only adds the "from where"
(IP, user agent, request id) when there is a request, and a source label
when there is not, so audit never depends on a request existing.
"""

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    source: str = "system"
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current = contextvars.ContextVar("shuxiang_origin", default=Origin())  # noqa: B039  (Origin is frozen)


def current_origin() -> Origin:
    return _current.get()


@contextlib.contextmanager
def origin(source: str, ip: str | None = None, user_agent: str = "", request_id: str = ""):
    token = _current.set(Origin(source, ip, user_agent[:200], request_id))
    try:
        yield
    finally:
        _current.reset(token)
