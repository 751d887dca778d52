"""Structured logs (SHUXIANG_LOG_FORMAT=json): one JSON object per line, with the node and — inside a
request or task — its request id, which is also the `X-Request-Id` header of every answer, so an error a
user reports can be found in the logs."""

import json
import logging
import time

from django.conf import settings

from shuxiang.core.context import current_origin


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        origin = current_origin()
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "node": getattr(settings, "NODE", ""),
            "message": record.getMessage(),
        }
        if origin.request_id:
            entry["request_id"] = origin.request_id
        if origin.source != "system":
            entry["source"] = origin.source
        for key in ("method", "path", "route", "status", "duration_ms", "user", "task", "outcome"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
