"""URL canonicalisation (pure): one key per article however it was linked."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click, never select content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src",
        "cmpid", "cmp", "ito", "ocid", "smid", "smtyp", "sr_share", "spm", "share", "taid",
        "guccounter", "guce_referrer", "guce_referrer_sig", "outputtype", "amp", "src",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "_hs")
# Host prefixes that serve the same article as the bare host.
MIRROR_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
# Path suffixes/segments of AMP variants.
AMP_SUFFIXES = ("/amp", "/amp/", ".amp")
# AMP file variants and the page they mirror.
AMP_FILE_SUFFIXES = ((".amp.html", ".html"), (".amp.htm", ".htm"))


def _strip_amp(path: str) -> str:
    for amp, plain in AMP_FILE_SUFFIXES:
        if path.endswith(amp):
            return path[: -len(amp)] + plain
    for suffix in AMP_SUFFIXES:
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)]
    return path


def canonicalize_url(url: str) -> str:
    """Lower-case scheme and host, drop www/m/amp host prefixes, AMP paths, fragments,
    tracking parameters, default ports and trailing slashes; sort the remaining query."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower()
    for prefix in MIRROR_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    path = _strip_amp(path)
    if path.startswith("/amp/"):
        path = path[4:]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))
