"""The layer-3 hops of a path: the route back to the pod, and the uplink.

Split from ``stitch`` to keep each module small; ``stitch`` re-exports both.
Pure.
"""

from __future__ import annotations

import dataclasses

from .model import Hop, Route, Snapshot
from .netindex import NetIndex, default_route, longest_match, route_text


def route_hop(snapshot: Snapshot, host: NetIndex, ip: str, family: int, expected: set[int]) -> Hop:
    """How the host sends packets back to the pod's address.

    The kernel's own answer (``ip route get``, policy rules included) wins;
    without it, the longest match in the routing table stands in.
    """
    lookup = next((lk for lk in snapshot.host.route_lookups if lk.destination == ip), None)
    table = lookup.table if lookup is not None else None
    route = longest_match(snapshot.host.routes, ip, family, table)
    details: dict[str, object] = {"for": ip, "source": "lookup" if lookup else "table"}
    oif: int | None = None
    if lookup is not None and lookup.error:
        details["error"] = lookup.error
    elif lookup is not None:
        oif = lookup.oif
        details.update(gateway=lookup.gateway, prefsrc=lookup.prefsrc, table=lookup.table)
        details["type"] = lookup.type
    elif route is not None:
        oif = route.oif
        details.update(gateway=route.gateway, prefsrc=route.prefsrc, table=route.table)
        details["type"] = route.type
    if route is not None:
        details.update(
            destination=route.destination,
            scope=route.scope,
            protocol=route.protocol,
            text=route_text(route, host),
        )
    details.update(
        dev=host.name(oif),
        oif=oif,
        expected=sorted(n for n in (host.name(i) for i in expected) if n),
        matches=bool(oif is not None and (not expected or oif in expected)),
    )
    name = route.destination if route is not None else ip
    return Hop("route", name, ifindex=oif, details=details)


#: The agent's egress probes (``agent.path.EGRESS_PROBE``): "the internet", asked from the pod.
EGRESS_PROBES = {"1.1.1.1": 4, "2606:4700:4700::1111": 6}


def uplink_hop(snapshot: Snapshot, host: NetIndex, family: int) -> Hop | None:
    """The default route's device: where the node's traffic leaves it.

    When policy routing sends the pod's traffic by another table (AWS VPC
    CNI's per-ENI tables), the kernel's lookup from the pod says so: its
    table's default route is the way out, not the main table's.
    """
    route = _policy_default(snapshot, family) or default_route(snapshot.host.routes, family)
    if route is None or route.oif is None:
        return None
    link = host.link(route.oif)
    name = link.name if link else f"if{route.oif}"
    details = host.link_details(link) if link else {}
    addresses = [a.address for a in host.addresses(route.oif, family) if a.scope == "global"]
    details.update(
        gateway=route.gateway,
        node_address=route.prefsrc or (addresses[0] if addresses else None),
        default_route=route_text(route, host, short=True),
    )
    return Hop("uplink", name, ifindex=route.oif, details=details)


def _policy_default(snapshot: Snapshot, family: int) -> Route | None:
    """The default route of the non-main table the pod's egress lookup used, if any."""
    for lookup in snapshot.host.route_lookups:
        if EGRESS_PROBES.get(lookup.destination) != family or lookup.error:
            continue
        if lookup.table in (None, 254):
            return None
        return default_route(
            [
                dataclasses.replace(r, table=254)
                for r in snapshot.host.routes
                if r.table == lookup.table
            ],
            family,
        )
    return None
