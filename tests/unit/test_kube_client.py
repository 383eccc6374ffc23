"""The lean API client against real TLS on loopback: trust, credentials, keep-alive, errors.

Every kubeconfig way of trusting a server and proving who we are is tried
against a small HTTPS server with a throw-away PKI (``tlslab``); failures
must be one line naming the server.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tlslab
import yaml

from kubectl_bridge.errors import ClusterError
from kubectl_bridge.kube import config
from kubectl_bridge.kube.api import Api, ApiStatusError
from kubectl_bridge.kube.exec import ExecStream

pytestmark = tlslab.NEEDS_OPENSSL


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tlslab.make_pki(tmp_path_factory.mktemp("pki"))


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def load(tmp: Path, cluster: dict[str, Any], user: dict[str, Any]) -> config.ClusterConfig:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "clusters": [{"name": "k", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
    }
    path = tmp / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    ns = argparse.Namespace(kubeconfig=str(path), context=None, namespace=None,
                            request_timeout="5s")  # fmt: skip
    return config.load(ns, {})


@pytest.fixture
def server(pki: Path) -> Iterator[tlslab.Server]:
    with tlslab.Server(pki) as srv:
        yield srv


def test_token_and_ca_data_over_one_kept_alive_connection(
    tmp_path: Path, pki: Path, server: tlslab.Server
) -> None:
    cfg = load(tmp_path, {"server": server.url, "certificate-authority-data": b64(pki / "ca.crt")},
               {"token": "s3cret"})  # fmt: skip
    api = Api(cfg)
    assert api.get_pod("default", "nginx") == {"kind": "Pod"}
    api.get_node("master1")
    api.list_pods("kube-system", labels="a=b,c=d")
    assert [s.path for s in server.seen] == [
        "/api/v1/namespaces/default/pods/nginx",
        "/api/v1/nodes/master1",
        "/api/v1/namespaces/kube-system/pods?labelSelector=a%3Db%2Cc%3Dd",
    ]
    assert {s.headers["Authorization"] for s in server.seen} == {"Bearer s3cret"}
    assert len({s.port for s in server.seen}) == 1  # one TLS handshake for the run


def test_exec_upgrades_the_kept_alive_connection(
    tmp_path: Path, pki: Path, server: tlslab.Server
) -> None:
    """A warm run pays one TLS handshake: REST calls, then exec on the same connection."""
    status = json.dumps({"status": "Success"}).encode()
    server.frames = [bytes([0x82, 4]) + b"\x01hi\n", bytes([0x82, len(status) + 1, 3]) + status,
                     bytes([0x88, 2, 3, 232])]  # fmt: skip
    cfg = load(tmp_path, {"server": server.url, "certificate-authority": str(pki / "ca.crt")},
               {"token": "t"})  # fmt: skip
    Api(cfg).get_pod("kube-system", "dbg")
    with ExecStream(cfg, "kube-system", "dbg", "bridge", ["echo", "hi"], timeout=5) as stream:
        assert stream.protocol == "v5.channel.k8s.io"
        result = stream.finish()
    assert (result.exit_code, result.stdout) == (0, b"hi\n")
    get, upgrade = server.seen
    assert upgrade.path.startswith("/api/v1/namespaces/kube-system/pods/dbg/exec?command=echo&")
    assert upgrade.headers["Authorization"] == "Bearer t"
    assert get.port == upgrade.port  # one connection, one handshake


def test_a_connection_the_server_closed_is_retried(
    tmp_path: Path, pki: Path, server: tlslab.Server
) -> None:
    server.close_after = 1
    cfg = load(tmp_path, {"server": server.url, "certificate-authority": str(pki / "ca.crt")}, {})
    api = Api(cfg)
    for _ in range(3):
        assert api.get_node("n") == {"kind": "Pod"}
    assert len({s.port for s in server.seen}) == 3
    assert "Authorization" not in server.seen[0].headers  # no user credentials: anonymous


@pytest.mark.parametrize("as_data", [False, True])
def test_client_certificate(tmp_path: Path, pki: Path, as_data: bool) -> None:
    if as_data:
        user = {"client-certificate-data": b64(pki / "client.crt"),
                "client-key-data": b64(pki / "client.key")}  # fmt: skip
    else:
        user = {"client-certificate": str(pki / "client.crt"),
                "client-key": str(pki / "client.key")}  # fmt: skip
    with tlslab.Server(pki, require_client_cert=True) as srv:
        cfg = load(tmp_path, {"server": srv.url, "certificate-authority": str(pki / "ca.crt")},
                   user)  # fmt: skip
        Api(cfg).get_node("n")
    assert srv.seen[0].client_cn == "alice"
    assert not list(Path("/tmp").glob("kubectl-bridge-tls-*/key.pem"))  # no key left behind


def test_untrusted_certificate_is_one_line_with_the_server(
    tmp_path: Path, pki: Path, server: tlslab.Server
) -> None:
    cfg = load(tmp_path, {"server": server.url,
                          "certificate-authority": str(pki / "other-ca.crt")}, {})  # fmt: skip
    with pytest.raises(ClusterError) as err:
        Api(cfg).get_node("n")
    assert err.value.message.startswith(
        f"cannot reach the API server at {server.url}: its certificate is not trusted ("
    )
    assert "\n" not in str(err.value) and "certificate-authority" in err.value.hint
    insecure = load(tmp_path, {"server": server.url, "insecure-skip-tls-verify": True}, {})
    assert Api(insecure).get_node("n") == {"kind": "Pod"}


def test_tls_server_name(tmp_path: Path, pki: Path) -> None:
    ca = str(pki / "ca.crt")
    with tlslab.Server(pki, cert="named") as srv:  # a certificate for kube.internal only
        with pytest.raises(ClusterError, match="not trusted"):
            Api(load(tmp_path, {"server": srv.url, "certificate-authority": ca}, {})).get_node("n")
        cluster = {"server": srv.url, "certificate-authority": ca,
                   "tls-server-name": "kube.internal"}  # fmt: skip
        assert Api(load(tmp_path, cluster, {})).get_node("n") == {"kind": "Pod"}


def test_proxy_url_tunnels_to_the_server(tmp_path: Path, pki: Path, server: tlslab.Server) -> None:
    proxy = tlslab.Proxy()
    try:
        cluster = {"server": server.url, "certificate-authority": str(pki / "ca.crt"),
                   "proxy-url": f"http://127.0.0.1:{proxy.port}"}  # fmt: skip
        api = Api(load(tmp_path, cluster, {"token": "t"}))
        api.get_node("a")
        api.get_node("b")
    finally:
        proxy.close()
    assert proxy.tunnels == [f"127.0.0.1:{server.port}"]  # one tunnel, kept alive
    assert len(server.seen) == 2
    socks = {**cluster, "proxy-url": "socks5://127.0.0.1:1080"}
    with pytest.raises(ClusterError, match="only http:// proxies"):
        Api(load(tmp_path, socks, {})).get_node("a")


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens once closed
    cfg = load(tmp_path, {"server": f"https://127.0.0.1:{port}"}, {})
    with pytest.raises(ClusterError) as err:
        Api(cfg).get_node("n")
    assert err.value.message == (
        f"cannot reach the API server at https://127.0.0.1:{port}: connection refused"
    )


def test_status_errors_say_what_to_do(tmp_path: Path, pki: Path) -> None:
    answers = {
        "/api/v1/nodes/a": (401, {"kind": "Status", "message": "Unauthorized"}),
        "/api/v1/nodes/b": (403, {"kind": "Status", "message": 'nodes "b" is forbidden'}),
        "/api/v1/nodes/c": (404, {"kind": "Status", "message": "not found"}),
        "/api/v1/namespaces/x/pods/p": (500, {"kind": "Status", "message": "etcd down"}),
    }
    with tlslab.Server(pki, answer=lambda seen: answers[seen.path]) as srv:
        api = Api(load(tmp_path, {"server": srv.url, "insecure-skip-tls-verify": True}, {}))
        with pytest.raises(ApiStatusError) as e401:
            api.get_node("a")
        with pytest.raises(ApiStatusError) as e403:
            api.get_node("b")
        assert api.get_node("c") is None
        with pytest.raises(ApiStatusError) as e500:
            api.get_pod("x", "p")
    assert e401.value.message == f"the API server at {srv.url} rejected our credentials (401)"
    assert "log in again" in e401.value.hint
    assert e403.value.message == 'not allowed to get nodes (cluster-wide): nodes "b" is forbidden'
    assert e500.value.message == "get pods in namespace x failed (500): etcd down"


def plugin(tmp_path: Path, answer: dict[str, Any], exit_code: int = 0) -> Path:
    """A fake exec credential plugin: logs its args, env and exec info, prints ``answer``."""
    script = tmp_path / "fake-plugin"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"log = {str(tmp_path / 'calls.jsonl')!r}\n"
        "with open(log, 'a') as fh:\n"
        "    fh.write(json.dumps({'args': sys.argv[1:], 'env': os.environ.get('FAKE_ENV'),\n"
        "        'info': json.loads(os.environ['KUBERNETES_EXEC_INFO'])}) + '\\n')\n"
        f"print(json.dumps({answer!r}))\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script


def calls(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_exec_plugin_token_runs_once_per_process(
    tmp_path: Path, pki: Path, server: tlslab.Server, version: str
) -> None:
    api_version = f"client.authentication.k8s.io/{version}"
    script = plugin(tmp_path, {"apiVersion": api_version, "kind": "ExecCredential",
                               "status": {"token": "from-plugin"}})  # fmt: skip
    user = {"exec": {"apiVersion": api_version, "command": "./fake-plugin", "args": ["--x", "1"],
                     "env": [{"name": "FAKE_ENV", "value": "yes"}],
                     "interactiveMode": "Never", "provideClusterInfo": True}}  # fmt: skip
    cluster = {"server": server.url, "certificate-authority-data": b64(pki / "ca.crt")}
    api = Api(load(script.parent, cluster, user))  # the command is relative to the kubeconfig
    api.get_node("a")
    api.get_node("b")
    assert {s.headers["Authorization"] for s in server.seen} == {"Bearer from-plugin"}
    (call,) = calls(tmp_path)
    assert call["args"] == ["--x", "1"] and call["env"] == "yes"
    assert call["info"]["apiVersion"] == api_version
    assert call["info"]["spec"]["interactive"] is False
    assert call["info"]["spec"]["cluster"]["server"] == server.url
    assert call["info"]["spec"]["cluster"]["certificate-authority-data"] == b64(pki / "ca.crt")


def test_exec_plugin_client_certificate(tmp_path: Path, pki: Path) -> None:
    api_version = "client.authentication.k8s.io/v1"
    status = {"clientCertificateData": (pki / "client.crt").read_text(),
              "clientKeyData": (pki / "client.key").read_text(),
              "expirationTimestamp": "2100-01-01T00:00:00Z"}  # fmt: skip
    plugin(tmp_path, {"apiVersion": api_version, "kind": "ExecCredential", "status": status})
    user = {"exec": {"apiVersion": api_version, "command": str(tmp_path / "fake-plugin"),
                     "interactiveMode": "IfAvailable"}}  # fmt: skip
    with tlslab.Server(pki, require_client_cert=True) as srv:
        cluster = {"server": srv.url, "certificate-authority": str(pki / "ca.crt")}
        cfg = load(tmp_path, cluster, user)
        Api(cfg).get_node("n")
        assert cfg.endpoint.credentials.headers() == {}  # a certificate, no token
    assert srv.seen[0].client_cn == "alice"
    (call,) = calls(tmp_path)  # valid until 2100: asked once
    assert "cluster" not in call["info"]["spec"]  # not asked for


def test_an_expired_exec_credential_is_asked_for_again(tmp_path: Path) -> None:
    api_version = "client.authentication.k8s.io/v1beta1"
    status = {"token": "old", "expirationTimestamp": "2000-01-01T00:00:00Z"}
    plugin(tmp_path, {"apiVersion": api_version, "kind": "ExecCredential", "status": status})
    user = {"exec": {"apiVersion": api_version, "command": str(tmp_path / "fake-plugin")}}
    creds = load(tmp_path, {"server": "https://127.0.0.1:1"}, user).endpoint.credentials
    assert creds.headers() == creds.headers() == {"Authorization": "Bearer old"}
    assert len(calls(tmp_path)) == 2


@pytest.mark.parametrize(
    ("answer", "exit_code", "message"),
    [
        ({}, 1, "the exec credential plugin {cmd} failed (exit status 1)"),
        ({"apiVersion": "client.authentication.k8s.io/v1", "status": {}}, 0,
         "the exec credential plugin {cmd} returned no token or client certificate"),
        ({"apiVersion": "client.authentication.k8s.io/v1beta1", "status": {"token": "t"}}, 0,
         "the exec credential plugin {cmd} answered apiVersion "
         "client.authentication.k8s.io/v1beta1 to a client.authentication.k8s.io/v1 request"),
    ],
)  # fmt: skip
def test_exec_plugin_failures(
    tmp_path: Path, answer: dict[str, Any], exit_code: int, message: str
) -> None:
    script = plugin(tmp_path, answer, exit_code)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script),
                     "interactiveMode": "Never"}}  # fmt: skip
    cfg = load(tmp_path, {"server": "https://127.0.0.1:1"}, user)
    with pytest.raises(ClusterError) as err:
        cfg.endpoint.credentials.headers()
    assert err.value.message == message.format(cmd=script)


def test_exec_plugin_missing_shows_the_install_hint(tmp_path: Path) -> None:
    hint = "Install gke-gcloud-auth-plugin: see cloud.google.com"
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin-not-here",
            "installHint": hint,
        }
    }
    cfg = load(tmp_path, {"server": "https://127.0.0.1:1"}, user)
    with pytest.raises(ClusterError) as err:
        Api(cfg).get_node("n")
    assert err.value.message.startswith(
        "cannot run the exec credential plugin gke-gcloud-auth-plugin-not-here: "
    )
    assert err.value.hint == hint


def test_interactive_always_needs_a_terminal(tmp_path: Path) -> None:
    script = plugin(tmp_path, {})
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script),
                     "interactiveMode": "Always"}}  # fmt: skip
    cfg = load(tmp_path, {"server": "https://127.0.0.1:1"}, user)
    with pytest.raises(ClusterError, match=r"needs a terminal \(interactiveMode: Always\)"):
        cfg.endpoint.credentials.headers()
    assert calls(tmp_path) == []


def jwt(exp: float) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp})}.sig"


def test_auth_providers(tmp_path: Path) -> None:
    server = {"server": "https://127.0.0.1:1"}
    valid = jwt(4102444800)  # 2100
    oidc = {"auth-provider": {"name": "oidc", "config": {"id-token": valid}}}
    assert load(tmp_path, server, oidc).endpoint.credentials.headers() == {
        "Authorization": f"Bearer {valid}"
    }
    expired = {"auth-provider": {"name": "oidc", "config": {"id-token": jwt(1)}}}
    with pytest.raises(ClusterError, match="id-token is missing or expired") as err:
        load(tmp_path, server, expired).endpoint.credentials.headers()
    assert "kubelogin" in err.value.hint
    gcp = {"auth-provider": {"name": "gcp", "config": {}}}
    with pytest.raises(ClusterError) as err:
        load(tmp_path, server, gcp).endpoint.credentials.headers()
    assert err.value.message == (
        "the kubeconfig user authenticates with auth-provider 'gcp', which kubectl-bridge "
        "cannot use (it was removed from kubectl)"
    )
    assert "gke-gcloud-auth-plugin" in err.value.hint


def test_token_file_basic_auth_and_impersonation(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("from-file\n")
    server = {"server": "https://127.0.0.1:1"}
    creds = load(tmp_path, server, {"tokenFile": "tok", "as": "bob",
                                    "as-groups": ["ops", "dev"]}).endpoint.credentials  # fmt: skip
    assert creds.headers() == {"Authorization": "Bearer from-file", "Impersonate-User": "bob",
                               "Impersonate-Group": "ops,dev"}  # fmt: skip
    both = load(tmp_path, server, {"token": "inline", "tokenFile": "tok"}).endpoint.credentials
    assert both.headers()["Authorization"] == "Bearer inline"  # kubectl: token wins
    basic = load(tmp_path, server, {"username": "u", "password": "p"}).endpoint.credentials
    assert basic.headers() == {"Authorization": "Basic dTpw"}
    (tmp_path / "tok").unlink()
    with pytest.raises(ClusterError, match="cannot read the token file"):
        load(tmp_path, server, {"tokenFile": "tok"}).endpoint.credentials.headers()


def test_kubeconfig_entry_errors(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="has no server"):
        load(tmp_path, {}, {})
    with pytest.raises(ClusterError, match="not an http"):
        Api(load(tmp_path, {"server": "ftp://x"}, {})).get_node("n")
    path = tmp_path / "kubeconfig"
    doc = yaml.safe_load(path.read_text())
    doc["contexts"][0]["context"]["user"] = "ghost"
    path.write_text(json.dumps(doc))  # JSON is a kubeconfig too
    ns = argparse.Namespace(kubeconfig=str(path))
    with pytest.raises(ClusterError, match="uses user 'ghost', which is not defined"):
        config.load(ns, {})
    assert os.path.exists(path)
