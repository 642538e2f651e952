"""IpAddress / NotIpAddress (M8): IPv4 or IPv6 addresses and CIDR ranges."""
from __future__ import annotations

import ipaddress

from explorer.iam.conditions.base import OperatorSpec


def parse_network(value):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR range") from None


def _test(value: str, network) -> bool:
    try:
        text = value.strip()
        if "/" in text:
            other = ipaddress.ip_network(text, strict=False)
            return other.version == network.version and other.subnet_of(network)
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    return addr.version == network.version and addr in network


OPERATORS = [
    OperatorSpec("IpAddress", "ip", False, parse_network, _test),
    OperatorSpec("NotIpAddress", "ip", True, parse_network, _test),
]
