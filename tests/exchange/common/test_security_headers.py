"""Every page, API answer, error and static file carries a Content-Security-Policy
without inline script or style, a Permissions-Policy, and names no server version;
the templates hold no inline script, style or event handler for the CSP to block."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PATHS = [
    "/",  # a page
    "/lots/",  # a page with a query
    "/accounts/login/",  # a form
    "/api/v1/categories/",  # an API answer
    "/api/v1/lots/",  # an API refusal (401)
    "/no-such-page/",  # a 404
    "/static/css/site.css",  # a static file (WhiteNoise)
    "/api/docs/",  # Swagger UI
    "/api/docs/?script",  # its start-up script, served as a file
    "/healthz",
]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 401, 404), response.status_code
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[name]
        assert "'unsafe-eval'" not in policy[name]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert "Server" not in response.headers


@pytest.mark.django_db
def test_the_api_docs_load_their_scripts_and_styles_from_files(client):
    swagger = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script")
    assert 'src="/api/docs/?script=' in swagger
    assert "SwaggerUIBundle(" in script.content.decode()
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in swagger
    assert not inline_code(swagger), inline_code(swagger)


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # a script without src
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE),
    re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE),
    re.compile(r"""href\s*=\s*["']\s*javascript:""", re.IGNORECASE),
]


def inline_code(text: str) -> list[str]:
    return [match.group(0) for pattern in INLINE for match in pattern.finditer(text)]


def test_no_template_holds_inline_script_style_or_event_handler():
    found = {
        str(path.relative_to(ROOT)): inline_code(path.read_text())
        for path in sorted((ROOT / "templates").rglob("*.html"))
    }
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_security_txt_names_the_configured_contact(client, settings):
    settings.EXCHANGE_SECURITY_CONTACT = "cert@reuse.example.be"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Contact: mailto:cert@reuse.example.be" in text
    assert "Expires: " in text


@pytest.mark.django_db
def test_pages_load_the_vendored_htmx_configured_for_the_strict_policy(client):
    # given the home page
    page = client.get("/").content.decode()
    # then htmx comes from our static files, pinned, and is told to inject no inline
    # style and to evaluate no script (both blocked by the policy otherwise)
    source = re.search(r'<script src="(/static/vendor/htmx-([0-9.]+)\.min\.js)" defer>', page)
    assert source is not None, "the page does not load the vendored htmx"
    version = source.group(2)
    assert (ROOT / "static" / "vendor" / f"htmx-{version}.min.js").is_file()
    assert (ROOT / "static" / "vendor" / f"htmx-{version}.LICENSE.txt").is_file()
    assert f"htmx **{version}**" in (ROOT / "README.md").read_text()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert config is not None
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False
    assert settings["allowScriptTags"] is False
    assert client.get(source.group(1)).status_code == 200
