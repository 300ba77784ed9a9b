"""The generated Squid configuration. The proxy compiler alone: pure text from a plan, deterministic, and never
wider than the plan. Then checked by the real Squid (the tests marked ``real_program``): ``squid -k parse``, then
a live proxy on loopback.

Squid resolves the catalog names to 127.0.0.1 through its ``hosts_file`` and sends its DNS queries to 127.0.0.1
(where nothing answers), so no test traffic leaves the machine. Debian's plain ``squid`` package is built with
GnuTLS and refuses ``ssl_bump`` ACLs; ``.ci/run`` installs ``squid-openssl``. Outside CI a missing Squid skips
these tests; in CI (``CI`` set) it fails them, so CI cannot pass without having run Squid.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import yaml
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from sep_egress.catalog import ROLES, EgressPlan, SourcedOverlay, load_catalog, parse_overlay, select
from sep_egress.compile.proxy import (
    ProxyExportError,
    SquidOptions,
    squid_config,
)

from loopback import (
    CATALOG_HOST,
    ORIGIN_REPLY,
    WAIT,
    LoopbackOrigin,
    Squid,
    find_squid,
    free_port,
    read_head,
    running_squid,
    squid_parse,
    tls_context,
)
from support import SELECTION, call_main, overlay_file


@pytest.fixture(scope="module")
def squid() -> str:
    return find_squid()


@pytest.fixture(scope="module")
def squid_has_ssl_bump(squid: str) -> bool:
    version = subprocess.run([squid, "-v"], capture_output=True, text=True, timeout=WAIT, check=False).stdout
    supported = "--with-openssl" in version
    if not supported and os.environ.get("CI"):
        pytest.fail("this squid is built without OpenSSL and cannot parse ssl_bump; CI installs squid-openssl")
    return supported


def _suffix_overlay(tmp_path: Path, port: int | None = None) -> SourcedOverlay:
    """An overlay with a domain suffix that covers an exact catalog name (Squid rejects such overlaps)."""
    urls = ["https://*.symantec.com", "https://extra.example.org"]
    if port is not None:
        urls = [f"https://{CATALOG_HOST}:{port}", f"https://inspect-me.example.org:{port}"]
    document = {
        "entries": [
            {
                "id": "test-overlay",
                "role": "agent",
                "usage": {"en": "test"},
                "domain_suffix": port is None,
                "urls": urls,
            }
        ]
    }
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return SourcedOverlay(str(path), parse_overlay(document, str(path)))


PLANS = {
    "on-prem": {"mode": "on-prem"},
    "hybrid-console-proxy-13": {"mode": "hybrid", "roles": ["console"], "proxy": True, "version": "14.3"},
    "cloud-aws": {"mode": "cloud", "storage": "aws"},
}


@pytest.mark.real_program
@pytest.mark.parametrize("mode", ["fragment", "full"])
@pytest.mark.parametrize("selection", sorted(PLANS))
def test_squid_parses_every_export(
    squid: str, squid_has_ssl_bump: bool, tmp_path: Path, mode: str, selection: str
) -> None:
    arguments = {"version": "14.3 RU1", **PLANS[selection]}
    plan = select(load_catalog(), **arguments)  # type: ignore[arg-type]
    text = squid_config(plan, SquidOptions(mode=mode, ssl_bump=squid_has_ssl_bump))  # type: ignore[arg-type]
    conf = tmp_path / "squid.conf"
    if mode == "fragment":
        (tmp_path / "sep-egress.conf").write_text(text, encoding="utf-8")
        conf.write_text(f"http_port 127.0.0.1:3128\ninclude {tmp_path / 'sep-egress.conf'}\nhttp_access deny all\n")
    else:
        conf.write_text(text, encoding="utf-8")
    squid_parse(squid, conf)


@pytest.mark.real_program
def test_squid_parses_suffix_and_sources(squid: str, squid_has_ssl_bump: bool, tmp_path: Path) -> None:
    plan = select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[_suffix_overlay(tmp_path)])
    options = SquidOptions(
        mode="full",
        role_sources={"agent": ("10.20.0.0/16", "fd00::/48"), "sepm": ("10.30.0.10/32",)},
        ssl_bump=squid_has_ssl_bump,
    )
    text = squid_config(plan, options)
    assert "dstdomain -n .symantec.com" in text
    assert "# liveupdate.symantec.com is covered by .symantec.com" in text
    conf = tmp_path / "squid.conf"
    conf.write_text(text, encoding="utf-8")
    squid_parse(squid, conf)


@pytest.mark.real_program
def test_squid_refuses_a_bad_directive(squid: str, tmp_path: Path) -> None:
    """The parse check has teeth: Squid fails on what it does not understand."""
    conf = tmp_path / "squid.conf"
    conf.write_text("http_port 127.0.0.1:3128\nacl bad dstdomainx example.com\n")
    result = subprocess.run(
        [squid, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert result.returncode != 0


# --- a live Squid -------------------------------------------------------------------------------------------------


def connect_via(proxy_port: int, host: str, port: int) -> tuple[int, socket.socket]:
    """Send ``CONNECT host:port`` to the proxy; return the status code and the (still open) socket."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=WAIT)
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    status = int(read_head(sock).split(b" ", 2)[1])
    return status, sock


def get_through_tunnel(sock: socket.socket, host: str, trust: ssl.SSLContext) -> tuple[bytes, x509.Certificate]:
    with trust.wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        body = b""
        while chunk := tls.recv(4096):
            body += chunk
    return body, x509.load_der_x509_certificate(der)


@contextlib.contextmanager
def _show_logs_on_failure(proxy: Squid) -> Iterator[None]:
    try:
        yield
    except BaseException:
        print(proxy.logs(), proxy.access_log())
        raise


@pytest.fixture
def squid_dir() -> Iterator[Path]:
    """A private directory for one Squid run, outside pytest's tmp tree, whose parents are private to root and
    so closed to the unprivileged user Squid switches to."""
    path = Path(tempfile.mkdtemp(prefix="sep-egress-squid-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.real_program
def test_live_squid_with_the_real_plan_on_port_443(squid: str, squid_has_ssl_bump: bool, squid_dir: Path) -> None:
    """The exact configuration a user deploys (the on-prem plan, port 443, unmodified), in a real Squid.

    This proves more than a test plan on an ephemeral port: the rules under test are the catalog's own. It needs
    127.0.0.1:443, which only root (or CAP_NET_BIND_SERVICE) can bind; the ephemeral-port test below always runs.
    """
    ca = trustme.CA()
    try:
        origin = LoopbackOrigin(tls_context(ca, CATALOG_HOST), reply=ORIGIN_REPLY, port=443)
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.1:443 ({exc.strerror}); the ephemeral-port test covers Squid")
    proxy_port = free_port()
    plan: EgressPlan = select(load_catalog(), mode="on-prem", version="14.3 RU1")
    text = squid_config(plan, SquidOptions(mode="full", listen=f"127.0.0.1:{proxy_port}", ssl_bump=squid_has_ssl_bump))
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    try:
        with running_squid(squid, squid_dir, text, proxy_port) as proxy:
            status, sock = connect_via(proxy_port, CATALOG_HOST, 443)
            assert status == 200, proxy.access_log()
            body, _ = get_through_tunnel(sock, CATALOG_HOST, trust)
            assert body.endswith(b"origin")
            assert origin.sni == [CATALOG_HOST]

            for host, port in (("not-allowed.example", 443), (CATALOG_HOST, 8443), ("127.0.0.1", 443)):
                status, sock = connect_via(proxy_port, host, port)
                sock.close()
                assert status == 403, (host, port, proxy.access_log())
            assert "TCP_DENIED/403" in proxy.access_log()
    finally:
        origin.close()


@pytest.mark.real_program
def test_live_squid_allows_only_plan_hosts_and_ports(
    squid: str, squid_has_ssl_bump: bool, tmp_path: Path, squid_dir: Path
) -> None:
    """An overlay puts a catalog name on an ephemeral port: CONNECT there succeeds end to end, other hosts and
    ports are refused with 403, and a plain request never reaches an origin."""
    ca = trustme.CA()
    origin = LoopbackOrigin(tls_context(ca, CATALOG_HOST, "inspect-me.example.org"), reply=ORIGIN_REPLY)
    proxy_port = free_port()
    closed_port = free_port()
    overlay = _suffix_overlay(tmp_path, port=origin.port)
    plan = select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[overlay])
    text = squid_config(plan, SquidOptions(mode="full", listen=f"127.0.0.1:{proxy_port}", ssl_bump=squid_has_ssl_bump))
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    try:
        with running_squid(squid, squid_dir, text, proxy_port) as proxy:
            status, sock = connect_via(proxy_port, CATALOG_HOST, origin.port)
            assert status == 200, proxy.access_log()
            body, cert = get_through_tunnel(sock, CATALOG_HOST, trust)
            assert body.endswith(b"origin")
            assert cert.issuer == _ca_subject(ca)

            refused = [
                ("not-allowed.example", origin.port),  # not in the plan
                (CATALOG_HOST, closed_port),  # a plan host on a port the plan does not give it
                ("127.0.0.1", origin.port),  # an address, even one a catalog name resolves to
                ("evil-symantec.com", origin.port),
            ]
            for host, port in refused:
                status, sock = connect_via(proxy_port, host, port)
                sock.close()
                assert status == 403, (host, port, proxy.access_log())

            with socket.create_connection(("127.0.0.1", proxy_port), timeout=WAIT) as plain:
                plain.sendall(f"GET http://{CATALOG_HOST}:{origin.port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert b" 403 " in read_head(plain).split(b"\r\n", 1)[0]
    finally:
        origin.close()


def _ca_subject(ca: trustme.CA) -> x509.Name:
    return x509.load_pem_x509_certificate(ca.cert_pem.bytes()).subject


@pytest.mark.real_program
def test_intercepting_squid_splices_catalog_hosts_and_bumps_others(
    squid: str, squid_has_ssl_bump: bool, tmp_path: Path, squid_dir: Path
) -> None:
    """With an ssl-bump port and the user's own ``ssl_bump bump all`` after the export, a catalog name is spliced
    (the client sees the origin's certificate) while an overlay name is decrypted (it sees Squid's)."""
    if not squid_has_ssl_bump:
        pytest.skip("this squid is built without OpenSSL (Debian: install squid-openssl)")
    origin_ca = trustme.CA()
    squid_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    origin = LoopbackOrigin(tls_context(origin_ca, CATALOG_HOST, "inspect-me.example.org"), reply=ORIGIN_REPLY)
    proxy_port = free_port()
    overlay = _suffix_overlay(tmp_path, port=origin.port)
    plan = select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[overlay])
    text = squid_config(plan, SquidOptions(mode="fragment"))
    workdir = squid_dir
    (workdir / "sep-egress.conf").write_text(text)
    squid_cert, squid_key = workdir / "squid-ca.pem", workdir / "squid-ca.key"
    squid_ca.cert_pem.write_to_path(str(squid_cert))
    squid_ca.private_key_pem.write_to_path(str(squid_key))
    origin_ca.cert_pem.write_to_path(str(workdir / "origin-ca.pem"))
    certgen = next(
        (
            path
            for path in ("/usr/lib/squid/security_file_certgen", "/usr/lib64/squid/security_file_certgen")
            if os.access(path, os.X_OK)
        ),
        None,
    )
    if certgen is None:
        pytest.fail("squid has OpenSSL but no security_file_certgen helper")
    subprocess.run(
        [certgen, "-c", "-s", str(workdir / "ssl_db"), "-M", "4MB"], check=True, timeout=WAIT, capture_output=True
    )
    conf = (
        f"http_port 127.0.0.1:{proxy_port} ssl-bump tls-cert={squid_cert} tls-key={squid_key} "
        "generate-host-certificates=on\n"
        f"sslcrtd_program {certgen} -s {workdir / 'ssl_db'} -M 4MB\n"
        "sslcrtd_children 1 startup=1 idle=1\n"
        f"include {workdir / 'sep-egress.conf'}\n"
        "http_access deny all\n"
        "# The user's own policy: decrypt everything that is not spliced above.\n"
        "ssl_bump bump all\n"
        f"tls_outgoing_options cafile={workdir / 'origin-ca.pem'}\n"
    )
    client = ssl.create_default_context()
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    try:
        with running_squid(squid, workdir, conf, proxy_port) as proxy, _show_logs_on_failure(proxy):
            status, sock = connect_via(proxy_port, CATALOG_HOST, origin.port)
            assert status == 200, proxy.access_log()
            body, cert = get_through_tunnel(sock, CATALOG_HOST, client)
            assert body.endswith(b"origin")
            assert cert.issuer == _ca_subject(origin_ca), "a catalog host was decrypted"

            status, sock = connect_via(proxy_port, "inspect-me.example.org", origin.port)
            assert status == 200, proxy.access_log()
            body, cert = get_through_tunnel(sock, "inspect-me.example.org", client)
            assert cert.issuer == _ca_subject(squid_ca), "the harness did not bump: the splice proof would be void"
    finally:
        origin.close()


@pytest.mark.real_program
def test_the_reported_squid_injection_through_a_path_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay_file(
        tmp_path,
        """\
        entries:
          - id: corp-x
            role: agent
            usage: {en: x}
            urls: ["a.example.com/x\\nhttp_access allow all"]
            ports: [443]
        """,
    )
    code, out, _ = call_main(["export", "squid", *SELECTION, "--squid-mode", "full", "--overlay", str(path)], capsys)
    assert code == 2
    assert "http_access allow all" not in out


@pytest.mark.real_program
def test_a_long_comment_cannot_spill_into_a_squid_directive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Squid reads a configuration line into a fixed buffer: an overlong comment line would continue as a
    directive. Comment lines stay short whatever the input."""
    path = overlay_file(
        tmp_path,
        f"entries:\n  - id: corp-x\n    role: agent\n    usage: {{en: x}}\n"
        f'    urls: ["https://a.example.com/{"a" * 9000}"]\n',
    )
    code, out, err = call_main(["export", "squid", *SELECTION, "--overlay", str(path)], capsys)
    assert code in (0, 2), err
    assert all(len(line) < 1024 for line in out.splitlines())


@pytest.mark.real_program
@pytest.mark.parametrize("listen", ["\u0663\u0661\u0662\u0668", "127.0.0.1:\u0663\u0661\u0662\u0668", "\U0001d7d1"])
def test_unicode_digits_in_listen_are_refused(listen: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call_main(["export", "squid", *SELECTION, "--squid-mode", "full", "--listen", listen], capsys)
    assert code == 2, out
    assert "--listen" in err


def directives(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + " ")]


def acl_items(text: str, acl: str) -> list[str]:
    return [line.split()[-1] for line in directives(text, "acl") if line.split()[1] == acl]


def test_squid_allows_each_role_its_hosts_on_its_ports_only(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan, SquidOptions(mode="full"))
    access = directives(text, "http_access")
    assert access[-1] == "http_access deny all"
    assert all(line.startswith("http_access allow ") for line in access[:-1])
    assert not any(re.search(r"\ballow all\b", line) for line in access)
    for line in access[:-1]:
        words = line.split()
        assert words[2] in ("CONNECT", "!CONNECT")  # never an allow that ignores the method
        assert any(word.startswith("sep_egress_port_") for word in words)
    for role in hybrid_plan.roles:
        token = role.replace("-", "_")
        for rule in hybrid_plan.rules_for(role):
            items = acl_items(text, f"sep_egress_{token}_{rule.protocol}_{rule.port}")
            assert rule.host in items, (role, rule.host)
    ports = {int(line.split()[-1]) for line in directives(text, "acl") if " port " in line}
    assert ports == {rule.port for rule in hybrid_plan.allow}
    # Reverse DNS of a bare IP must never satisfy a name ACL.
    assert all(" dstdomain -n " in line for line in directives(text, "acl") if " dstdomain " in line)


def test_http_rules_are_plain_requests_never_tunnels(catalog: object) -> None:
    plan = select(load_catalog(), mode="on-prem", version="14.3", proxy=True)
    assert any(rule.protocol == "http" for rule in plan.allow)
    text = squid_config(plan)
    assert "http_access allow !CONNECT sep_egress_http sep_egress_port_80 sep_egress_sepm_http_80" in text
    assert "acl sep_egress_http proto HTTP" in text


def test_squid_splices_every_bypass_host_before_peeking(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan)
    assert set(acl_items(text, "sep_egress_no_bump")) == set(hybrid_plan.tls_inspection_bypass)
    bump = directives(text, "ssl_bump")
    assert bump == ["ssl_bump splice sep_egress_no_bump", "ssl_bump peek sep_egress_step1"]
    assert not any(line.startswith("ssl_bump bump") for line in text.splitlines())


def test_fragment_denies_nothing_and_full_fails_closed(on_prem_plan: EgressPlan) -> None:
    fragment = squid_config(on_prem_plan)
    assert not any("deny" in line for line in directives(fragment, "http_access"))
    assert "http_port" not in fragment
    assert "include /path/to/this/file" in fragment
    full = squid_config(on_prem_plan, SquidOptions(mode="full", listen="127.0.0.1:3129"))
    assert directives(full, "http_port") == ["http_port 127.0.0.1:3129"]


def test_no_ssl_bump_leaves_the_rules_out_and_says_why(on_prem_plan: EgressPlan) -> None:
    text = squid_config(on_prem_plan, SquidOptions(ssl_bump=False))
    assert not directives(text, "ssl_bump")
    assert "ssl::server_name" not in text
    assert "must not intercept TLS" in text


def test_warnings_are_comments(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan)
    assert "# WARNING [shared-host] storage.googleapis.com:443" in text
    assert "# WARNING [widened-path]" in text
    assert "# widened: the vendor names only /support/security-center on www.broadcom.com" in text
    assert all(len(line) <= 120 for line in text.splitlines() if line.startswith("# WARNING"))


def test_suffix_covers_exact_names_and_cidrs_are_noted(suffix_plan: EgressPlan) -> None:
    text = squid_config(suffix_plan)
    agent = acl_items(text, "sep_egress_agent_tls_443")
    assert ".symantec.com" in agent
    assert not [item for item in agent if item.endswith(".symantec.com") and item != ".symantec.com"]
    assert "# liveupdate.symantec.com is covered by .symantec.com" in text
    assert "#   10.8.0.0/24 tcp/8443 (corp-relay)" in text
    # The overlay's suffix is not a vendor host, so it is not spliced; the catalog's exact names still are.
    assert "liveupdate.symantec.com" in acl_items(text, "sep_egress_no_bump")


def test_role_sources(on_prem_plan: EgressPlan) -> None:
    text = squid_config(on_prem_plan, SquidOptions(role_sources={"agent": ("10.20.0.0/16",)}))
    assert "acl sep_egress_src_agent src 10.20.0.0/16" in text
    assert "http_access allow CONNECT sep_egress_port_443 sep_egress_agent_tls_443 sep_egress_src_agent" in text
    assert "No client CIDRs given for sepm" in text
    for bad in ({"console": ("10.0.0.0/8",)}, {"agent": ("10.0.0.1/8",)}, {"agent": ("0.0.0.0/0",)}):
        with pytest.raises(ProxyExportError):
            squid_config(on_prem_plan, SquidOptions(role_sources=bad))  # type: ignore[arg-type]


@pytest.mark.parametrize("listen", ["", "host", "1.2.3.4:0", "1.2.3.4:70000", "3128 ssl-bump"])
def test_bad_listen_is_refused(on_prem_plan: EgressPlan, listen: str) -> None:
    with pytest.raises(ProxyExportError):
        squid_config(on_prem_plan, SquidOptions(mode="full", listen=listen))


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(
    roles=st.sets(st.sampled_from(ROLES), min_size=1),
    proxy=st.booleans(),
    storage=st.sampled_from(["both", "gcp", "aws"]),
    version=st.sampled_from(["14.2", "14.3", "14.3 RU1", "14.3 RU8"]),
)
def test_squid_never_exceeds_the_plan(roles: set[str], proxy: bool, storage: str, version: str) -> None:
    plan = select(load_catalog(), roles=sorted(roles), proxy=proxy, storage=storage, version=version)
    text = squid_config(plan, SquidOptions(mode="full"))
    names = {line.split()[-1].lstrip(".") for line in directives(text, "acl") if " dstdomain " in line}
    assert names <= {rule.host for rule in plan.allow}
    assert names == {rule.host for rule in plan.allow}
    assert "allow all" not in text
    assert text == squid_config(plan, SquidOptions(mode="full"))
