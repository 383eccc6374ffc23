"""The demo's steps, in the seed's order: each a manual command beside kubectl bridge.

Each step runs the seed's command for real in the sandbox and then the
``kubectl bridge`` verb that answers the same question; the ✓/✗ lines are
computed from what the commands printed, never assumed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

from . import demo_capture, labspec
from .demo import Demo

ROUTER = "192.168.0.1"
NODE_IP = "192.168.0.10"
_IFLINK = re.compile(r"\beth0@if(\d+)\b")


def intro(demo: Demo) -> None:
    """Say what the sandbox is and how every command in the walk runs."""
    sb = demo.sandbox
    demo.out.write(
        "kubectl bridge demo: the seed's hands-on note (design card §1, S1–S11), replayed\n"
    )
    demo.say(
        f"The sandbox is the seed's node master1, built on this machine: network namespace "
        f"{demo.node_netns} holds docker0 (172.17.0.1/16) and the uplink eth0 ({NODE_IP}/24, "
        f"masquerading pod traffic), namespace {sb.topology.router_netns} is the router "
        f"{ROUTER}, and a stand-in Kubernetes API server listens on "
        f"{sb.server.url} (export KUBECONFIG={sb.kubeconfig})."
    )
    demo.say(
        f"'[root@master1 ~]# CMD' lines run CMD in the node's namespace (ip netns exec "
        f"{demo.node_netns} sh -c CMD); 'kubectl ...' lines are the real kubectl against the "
        "stand-in; 'kubectl bridge ...' is this tool: it finds the pod's node through the API "
        "server, starts a debug pod there, ships its agent in and reads the kernel over "
        "netlink. Every output below was printed just now."
    )
    demo.say(
        "No pod runs yet: the node is as the seed's was before 'kubectl run'. Pods join "
        "later, each a namespace with a veth into docker0 and a process in a kubepods cgroup."
    )


# --- S1–S5: the bridge before any pod ---------------------------------------


def s1_links(demo: Demo) -> None:
    """S1: which devices exist, their names and MACs."""
    demo.heading("S1", "Devices, names and MACs, before any pod", "§3.1 ip link")
    manual = demo.node("ip link")
    demo.manual("ip link", manual)
    demo.tool("links node master1", demo.bridge("links", "node", "master1"))
    line = next((ln for ln in manual.splitlines() if ": docker0:" in ln), "")
    demo.check("NO-CARRIER" in line, "docker0 has no carrier (state DOWN): no port is attached")


def s2_ports(demo: Demo) -> None:
    """S2: the bridge's ports."""
    demo.heading("S2", "The bridge's ports", "§3.2 brctl show docker0")
    shown, output = brctl_show(demo)
    demo.manual(shown, output)
    demo.tool("ports node master1", demo.bridge("ports", "node", "master1"))


def s3_macs(demo: Demo) -> None:
    """S3: the MAC learning table."""
    demo.heading("S3", "The MAC learning table", "§3.3 brctl showmacs docker0")
    shown, output = brctl_showmacs(demo)
    demo.manual(shown, output)
    demo.tool("macs node master1", demo.bridge("macs", "node", "master1"))
    demo.say("Only the bridge's own MAC is there (is local: yes); nothing is learned yet.")


def s4_neigh(demo: Demo) -> None:
    """S4: the bridge's ARP table."""
    demo.heading("S4", "The bridge's ARP table", "§3.4 ip neigh show dev docker0")
    manual = demo.node("ip neigh show dev docker0")
    demo.manual("ip neigh show dev docker0", manual)
    demo.tool("neigh node master1", demo.bridge("neigh", "node", "master1"))
    demo.check(not manual.strip(), "the ARP table of docker0 is empty until traffic flows")


def s5_stats(demo: Demo) -> None:
    """S5: counters, in human units."""
    demo.heading("S5", "Counters", "§3.5 ip -s -h link show dev docker0")
    demo.manual("ip -s -h link show dev docker0", demo.node("ip -s -h link show dev docker0"))
    demo.tool("stats node master1 -H", demo.bridge("stats", "node", "master1", "-H"))


# --- S6–S8: one pod -----------------------------------------------------------


def s6_pod_side(demo: Demo) -> None:
    """Start nginx; S6: the pod's eth0@ifN, MAC and IP."""
    demo.heading("S6", "One pod: its side of the link", "§4.1–4.2 kubectl run, ip link in the pod")
    add_pod(demo, 0)
    shown, link = demo.pod_exec("nginx", "ip link show dev eth0")
    demo.manual(shown, link, where="in the pod")
    shown, addr = demo.pod_exec("nginx", "ip addr show dev eth0")
    demo.manual(shown, addr, where="in the pod")
    demo.tool("links pod nginx", demo.bridge("links", "pod", "nginx"))
    match = _IFLINK.search(link)
    if match:
        demo.facts["peer_ifindex"] = match.group(1)
    peer = demo.facts.get("peer_ifindex", "?")
    demo.check(
        bool(match), f"the pod's eth0 is eth0@if{peer}: its peer is interface {peer} on the node"
    )


def s7_which_veth(demo: Demo) -> None:
    """S7: match @ifN to the node's interface index: the pod's veth."""
    demo.heading("S7", "Which veth is the pod's", "§4.3 matching @ifN, brctl show docker0")
    index = demo.facts.get("peer_ifindex", "0")
    command = f"ip -o link | grep '^{index}:'"
    manual = demo.node(command)
    demo.manual(command, manual)
    shown, output = brctl_show(demo)
    demo.manual(shown, output)
    tool = demo.bridge("ports", "pod", "nginx")
    demo.tool("ports pod nginx", tool)
    found = re.match(r"^\d+: ([^@:]+)", manual)
    veth = found.group(1) if found else "?"
    same = f"interface {index} on the node is {veth}; kubectl bridge names it without matching"
    demo.check(bool(found) and veth in tool, same)


def s8_picture(demo: Demo) -> None:
    """S8: the seed's hand-drawn diagram, drawn from the kernel."""
    demo.heading("S8", "The picture", "§4.3 the hand-drawn diagram")
    demo.say(
        "The seed drew this by hand from the outputs above. kubectl bridge draws it from "
        "the kernel, with the tables and what looks wrong:"
    )
    demo.tool("describe pod nginx", demo.bridge("describe", "pod", "nginx"))


def two_pods(demo: Demo) -> None:
    """A second pod: a second port, two local MACs (seed §5)."""
    demo.heading("S2·S3·S8", "Two pods: a second port on docker0", "§5 kubectl run nginx1")
    add_pod(demo, 1)
    shown, output = brctl_show(demo)
    demo.manual(shown, output)
    shown, output = brctl_showmacs(demo)
    demo.manual(shown, output)
    demo.tool("describe node master1", demo.bridge("describe", "node", "master1"))


# --- S3/S4 after traffic, S9–S11 -------------------------------------------------


def traffic(demo: Demo) -> None:
    """S3/S4 again: a ping from nginx to the router teaches docker0 the pod's MAC."""
    demo.heading("S3·S4", "The MAC table learns from traffic", "§6 ping from nginx to the router")
    mac = str(demo.sandbox.topology.pod("nginx").spec.mac)
    demo.tool("macs pod nginx   (before)", demo.bridge("macs", "pod", "nginx"))
    shown, output = demo.pod_exec("nginx", f"ping -c 1 -W 2 {ROUTER}")
    demo.manual(shown, output, where="in the pod")
    shown, after = brctl_showmacs(demo)
    demo.manual(shown, after)
    tool = demo.bridge("macs", "pod", "nginx")
    demo.tool("macs pod nginx   (after)", tool)
    neigh = demo.node("ip neigh show dev docker0")
    demo.manual("ip neigh show dev docker0", neigh)
    demo.tool("neigh pod nginx", demo.bridge("neigh", "pod", "nginx"))
    learned = f"docker0 learned {mac} (nginx) on its port: is local 'no', ageing from 0"
    demo.check(mac in after and mac in tool, learned + "; forgotten after 300 s without frames")
    demo.check(mac in neigh, f"the node's ARP table for docker0 now has {mac}")


def s9_routes(demo: Demo) -> None:
    """S9: the node's routes: the way out and the way back."""
    demo.heading("S9", "Host routes", "§2 ip route show")
    demo.manual("ip route show", demo.node("ip route show"))
    demo.tool("routes pod nginx", demo.bridge("routes", "pod", "nginx"))


def s10_capture(demo: Demo) -> None:
    """S10: where tcpdump sees the ping, and the source rewritten at the uplink."""
    demo.heading("S10", "Where tcpdump sees the packet", "§7 tcpdump -i veth / docker0 / eth0")
    demo.tool("capture-points pod nginx", demo.bridge("capture-points", "pod", "nginx"))
    demo_capture.show(demo, "nginx", ROUTER, NODE_IP)


def s11_network(demo: Demo) -> None:
    """S11: the bridge network as Docker's inspect showed it."""
    demo.heading("S11", "The bridge network", "§8 docker network inspect bridge")
    demo.say(
        "The sandbox runs no Docker engine, so 'docker network inspect bridge' has nothing to "
        "ask; the kernel holds the same facts: the subnet and gateway, the pods' ports, and "
        "the masquerade rule behind Docker's enable_ip_masquerade."
    )
    command = "ip -br addr show dev docker0; ip -br link show master docker0; "
    command += "iptables -t nat -S POSTROUTING"
    manual = demo.node(command)
    demo.manual(command, manual)
    tool = demo.bridge("inspect", "node", "master1")
    demo.tool("inspect node master1", tool)
    said = next((ln.strip() for ln in tool.splitlines() if "masquerade:" in ln), "")
    demo.check(
        "MASQUERADE" in manual and re.match(r"masquerade:\s+yes\b", said) is not None,
        "the node masquerades 172.17.0.0/16 out of eth0 (enable_ip_masquerade), "
        "and kubectl bridge found the rule",
    )


STEPS: tuple[Callable[[Demo], None], ...] = (
    s1_links, s2_ports, s3_macs, s4_neigh, s5_stats,
    s6_pod_side, s7_which_veth, s8_picture, two_pods,
    traffic, s9_routes, s10_capture, s11_network,
)  # fmt: skip


# --- helpers ----------------------------------------------------------------------


def add_pod(demo: Demo, index: int) -> None:
    """``kubectl run``: the sandbox builds the pod and registers it with the API server."""
    spec = labspec.pod_specs(index + 1)[index]
    demo.out.write(f"\n  kubectl run {spec.name} --image=nginx   (the seed's way)\n")
    demo.say(
        f"The sandbox has no kubelet: it creates namespace {demo.sandbox.record['prefix']}-"
        f"{spec.name} with a veth into docker0 and a process in a kubepods cgroup, and "
        "registers the pod with the stand-in API server."
    )
    demo.sandbox.add_pod(spec)
    shown, output = demo.kubectl_get("get", "pod", "-o", "wide")
    demo.manual(shown, output)


def brctl_show(demo: Demo) -> tuple[str, str]:
    """``brctl show docker0``, or its iproute2 equivalent when bridge-utils is absent."""
    if shutil.which("brctl"):
        return "brctl show docker0", demo.node("brctl show docker0")
    command = "bridge link show master docker0"
    return f"{command}   (= brctl show docker0; brctl is not installed)", demo.node(command)


def brctl_showmacs(demo: Demo) -> tuple[str, str]:
    """``brctl showmacs docker0``, or ``bridge fdb`` when bridge-utils is absent."""
    if shutil.which("brctl"):
        return "brctl showmacs docker0", demo.node("brctl showmacs docker0")
    command = "bridge fdb show br docker0"
    return f"{command}   (= brctl showmacs docker0; brctl is not installed)", demo.node(command)
