"""Facts about the client of a request: its address and what its user agent says."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX_LENGTH = 512


def client_ip(request: HttpRequest) -> str:
    """Return the client's address.

    ``X-Forwarded-For`` is believed only when the direct peer is one of
    ``settings.TRUSTED_PROXIES``; the address taken is then the last one the proxy chain
    did not add itself (the right-most address that is not a trusted proxy), so a
    client cannot choose its address by sending the header itself.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "0.0.0.0")  # noqa: S104 - a placeholder, never bound
    trusted = set(settings.TRUSTED_PROXIES)
    if remote not in trusted:
        return remote
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in trusted and _is_ip(address):
            return address
    return remote


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def network_of(address: str) -> str:
    """Return the network an address belongs to: its /24 (IPv4) or /64 (IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass(frozen=True)
class UserAgentSummary:
    browser: str
    os: str


@lru_cache(maxsize=2048)
def parse_user_agent(user_agent: str) -> UserAgentSummary:
    """Return the browser and operating-system families of a user agent (cached: ~1 ms uncached)."""
    from ua_parser import parse

    result = parse(user_agent[:USER_AGENT_MAX_LENGTH])
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    return UserAgentSummary(browser=browser, os=os_family)


def user_agent_of(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH]
