"""/docs and /redoc work on a machine without internet: every script, style and icon they
reference is served by cloudfold itself, and answers."""

from __future__ import annotations

import re

import pytest

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|spec-url)\s*[:=]\s*['"]([^'"]+)['"]""")


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_references_only_local_assets_that_answer(client, page):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = references(r.text)
    assert refs, r.text
    assert "http://" not in r.text.replace("http://www.w3.org", "") and "https://" not in r.text
    assets = [ref for ref in refs if ref.endswith((".js", ".css", ".png"))]
    assert len(assets) >= (3 if page == "/docs" else 2), refs
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        answer = client.get(ref)
        assert answer.status_code == 200, (ref, answer.status_code)
    assert "/openapi.json" in refs


def test_vendored_assets_carry_their_licences(client):
    for path in ["/static/vendor/swagger-ui/LICENSE", "/static/vendor/redoc/LICENSE", "/static/vendor/htmx/LICENSE",
                 "/static/vendor/README.md"]:
        assert client.get(path).status_code == 200, path
    assert client.get("/static/vendor/../../settings.py").status_code == 404
    assert client.get("/static/vendor/nothing.js").status_code == 404


def test_swagger_oauth2_redirect_is_local(client):
    r = client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "https://" not in r.text
