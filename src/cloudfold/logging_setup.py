"""Log lines carry the request id (the same value as the X-Request-ID response header)."""

from __future__ import annotations

import logging.config


def configure(level: str = "INFO") -> dict:
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
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
