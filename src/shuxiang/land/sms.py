"""Text messages (短信) to a member's registered phone: the one-time code of the member's own page.

Two backends, chosen by SHUXIANG_SMS_URL:
- unset (the default): the outbox. The message is stored (land.TextMessage, status `outbox`) and shown
  on the cooperative's member page to the cadres who may issue codes, who pass it on by phone — the
  county has no SMS contract yet, and a code that silently goes nowhere would be worse.
- an http(s) URL: an HTTP gateway. The platform POSTs JSON `{"phone": "138…", "text": "…"}` with
  `Authorization: Bearer SHUXIANG_SMS_TOKEN` (when set), 5 s timeout; any 2xx is "sent", anything else
  (or no answer) is "failed" with the reason, and the member is told to ask the village for a code.
  A sent message is stored with its code masked: only the phone's owner ever sees it.
"""

import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings

from shuxiang.land.models import Member, TextMessage

log = logging.getLogger(__name__)
TIMEOUT = 5


def backend_name() -> str:
    return "http" if (getattr(settings, "SMS_URL", "") or "").strip() else "outbox"


def _post(phone: str, text: str) -> str:
    """'' when the gateway took the message, else the reason."""
    url = settings.SMS_URL.strip()
    if not url.startswith(("http://", "https://")):
        return "短信网关地址应以 http:// 或 https:// 开头"
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if getattr(settings, "SMS_TOKEN", ""):
        headers["Authorization"] = f"Bearer {settings.SMS_TOKEN}"
    body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (configured URL)
            if 200 <= response.status < 300:
                return ""
            return f"短信网关返回 {response.status}"
    except urllib.error.HTTPError as exc:
        return f"短信网关返回 {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"短信网关无法连接（{type(exc).__name__}）"


def send(member: Member, text: str, *, secret: str = "") -> TextMessage:
    """Send (or queue) `text` to the member's registered phone. `secret` (the code) is masked in what is
    stored once a gateway has taken the message."""
    phone = member.person.phone or ""
    backend = backend_name()
    if backend == "outbox":
        return TextMessage.objects.create(
            member=member, phone=phone, text=text[:300], backend=backend, status="outbox"
        )
    error = _post(phone, text)
    stored = text.replace(secret, "*" * len(secret)) if secret else text
    if error:
        log.warning("SMS to member %s failed: %s", member.code, error)
    return TextMessage.objects.create(
        member=member,
        phone=phone,
        text=stored[:300],
        backend=backend,
        status="failed" if error else "sent",
        error=error[:200],
    )


def phone_tail(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else ""
