"""Log lines carry the request id (the same value as the X-Request-ID response header), and
never a secret: every line, tracebacks included, goes through ``security.redact`` (uvicorn's
access lines would otherwise show ``/ws?token=cfk_…``)."""

from __future__ import annotations

import logging
import logging.config

from cloudfold.security.redact import redact


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO") -> dict:
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}},
        "formatters": {
            "plain": {"()": RedactingFormatter,
                      "format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
        },
        "loggers": {
            "cloudfold": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["console"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
    }
    logging.config.dictConfig(config)
    return config
