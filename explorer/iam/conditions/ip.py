"""IpAddress / NotIpAddress (M8): IPv4 or IPv6 addresses and CIDR ranges."""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from explorer.iam.conditions.base import OperatorSpec


def parse_network(value):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR range") from None


@lru_cache(maxsize=65536)
def request_address(value: str):
    """A request value as an address or network, None when it is neither."""
    text = value.strip()
    try:
        if "/" in text:
            return ipaddress.ip_network(text, strict=False)
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _test(value: str, network) -> bool:
    addr = request_address(value)
    if addr is None or addr.version != network.version:
        return False
    if isinstance(addr, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return addr.subnet_of(network)
    return addr in network


OPERATORS = [
    OperatorSpec("IpAddress", "ip", False, parse_network, _test),
    OperatorSpec("NotIpAddress", "ip", True, parse_network, _test),
]
