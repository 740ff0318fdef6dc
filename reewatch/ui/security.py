"""The reading room's guards, as pure functions: who needs a token, the CSRF check, the
Content-Security-Policy, which Host headers a loopback server answers, which links may be
followed.  The middleware that applies them is in reewatch/ui/app.py (docs/ui.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

TOKEN_COOKIE = "reewatch_token"
CSRF_COOKIE = "reewatch_csrf"
CSRF_FIELD = "csrf"
TOKEN_HEADER = "x-reewatch-token"
# 32 random bytes: the size of Python's own secrets default, far beyond guessing.
TOKEN_BYTES = 32
LOOPBACK_NAMES = ("localhost",)
_STYLE_ATTR = re.compile(r'style="([^"]*)"')


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: an address only this machine reaches."""
    h = host.strip("[]")
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def needs_token(host: str, configured: str) -> bool:
    """A configured token is always asked for; without one, only a non-loopback bind needs one."""
    return bool(configured) or not is_loopback(host)


def new_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def cookie_value(token: str) -> str:
    """What the token cookie holds: derived from the token, so the cookie jar never holds the token itself."""
    return hmac.new(token.encode(), b"reewatch-ui-cookie", hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two secrets; a missing one never matches."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def token_ok(token: str, *, cookie: str | None, header: str | None) -> bool:
    """The request carries the token: as the header, or as the cookie a ``?token=`` visit set."""
    return same(header, token) or same(cookie, cookie_value(token))


def csrf_ok(cookie: str | None, field: str | None) -> bool:
    """Double-submit check: the form's hidden field equals the per-session cookie."""
    return same(cookie, field)


def allowed_hosts(host: str, port: int, base_url: str) -> frozenset[str]:
    """Host headers a loopback server answers (a page on another site that rebinds its own name to
    127.0.0.1 sends its name, and is refused); base_url's host is added for a reverse proxy."""
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    out = set(names) | {f"{n}:{port}" for n in names}
    if base_url:
        parts = urlsplit(base_url)
        out |= {parts.netloc.lower(), (parts.hostname or "").lower()}
    return frozenset(out)


def style_hashes(*html: str) -> tuple[str, ...]:
    """CSP hashes of the ``style="…"`` attributes in trusted markup we embed (the digest's chart):
    allowed one by one under 'unsafe-hashes', so no other inline style applies."""
    found = sorted({m.group(1) for h in html for m in _STYLE_ATTR.finditer(h)})
    return tuple(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found)


def content_security_policy(style_attr_hashes: tuple[str, ...] = ()) -> str:
    """Only our own files; no script at all (the pages need none), no plug-ins, no framing,
    forms post only here."""
    style = "style-src 'self'" + (" 'unsafe-hashes' " + " ".join(style_attr_hashes) if style_attr_hashes else "")
    return "; ".join([
        "default-src 'self'", "script-src 'none'", style, "img-src 'self' data:", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def external_href(url: str | None) -> str | None:
    """``url`` when it is an http(s) link, else None (a stored ``javascript:`` URL is never a link)."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url if scheme in ("http", "https") else None


def local_path(target: str | None, default: str = "/stories") -> str:
    """Where to go back to after a POST: a path on this server only (no ``//host`` or ``https:`` redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
