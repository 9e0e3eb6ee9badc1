"""Who is asking, by network address: the peer's address, or what a trusted proxy says the client's was.

``X-Forwarded-For`` is a list any client can write. It is believed only as far as the proxies named in
TRUSTED_PROXIES (addresses or networks; none by default): walking it from the right, every hop added by a
trusted proxy is skipped, and the first address that is not a trusted proxy is the client. With no trusted
proxy the header is ignored, so rotating it changes nothing. Throttles, the active-jobs cap and the login
lock-out all count clients through :func:`client_ip`.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _clean(address: str) -> str:
    """One address as it appears in the header: without brackets or a port; "" when it is no address."""
    address = address.strip().strip('"')
    if address.startswith("["):  # [v6]:port
        address = address[1:].split("]", 1)[0]
    elif address.count(":") == 1:  # v4:port
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR unless that is a trusted proxy, then the right-most address in
    X-Forwarded-For that is not one (a hop the client wrote itself is never reached past a trusted one)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [_clean(hop) for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if not hop:
            return remote  # a malformed hop: trust nothing further left
        if not _trusted(hop, networks):
            return hop
    return remote
