"""The browser side of cloudfold: the API's own documentation pages (Swagger UI, ReDoc) and the
dashboard under /ui, with every script, style and template shipped inside the package (no CDN)."""

from __future__ import annotations

from pathlib import Path

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_URL = "/static"
