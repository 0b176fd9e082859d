"""/docs and /redoc from the package's own copies of Swagger UI and ReDoc (FastAPI's defaults load
them from a CDN, a blank page on a machine without internet). Versions and licences:
static/vendor/README.md."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from cloudfold.web import STATIC_URL

VENDOR = f"{STATIC_URL}/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui/swagger-ui.css"
SWAGGER_FAVICON = f"{VENDOR}/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{VENDOR}/redoc/redoc.standalone.js"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect and /redoc; the app is made with docs_url=redoc_url=None."""
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=title, swagger_js_url=SWAGGER_JS,
                                   swagger_css_url=SWAGGER_CSS, swagger_favicon_url=SWAGGER_FAVICON,
                                   oauth2_redirect_url=OAUTH2_REDIRECT,
                                   swagger_ui_parameters=app.swagger_ui_parameters)

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        # No Google Fonts either: ReDoc falls back to the browser's own fonts.
        return get_redoc_html(openapi_url=app.openapi_url, title=title, redoc_js_url=REDOC_JS,
                              redoc_favicon_url=SWAGGER_FAVICON, with_google_fonts=False)
