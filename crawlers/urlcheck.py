"""Which post URLs a crawl may keep. A feed or JSON answer names each post's URL itself, and that URL is stored
and sent in every notification (原帖：…): a `javascript:` or `data:` URL, or a link to another site, would put
the source's words in our mouth. Only http(s) URLs on the source's own domains pass."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def allowed_post_url(url: str, domains: Iterable[str]) -> bool:
    """http or https, a host that is one of `domains` or below one of them, no credentials in the URL."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018  # a malformed port raises here
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username or parts.password:
        return False
    for domain in domains:
        domain = domain.strip().rstrip(".").lower()
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False
