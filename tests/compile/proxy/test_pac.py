"""The generated PAC file, evaluated by pacparser (a real PAC engine: SpiderMonkey plus the PAC helper functions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pacparser
import pytest
import yaml

from sep_egress.catalog import EgressPlan, SourcedOverlay, load_catalog, parse_overlay, select
from sep_egress.compile.proxy import ProxyExportError, pac_file, pac_route

from support import SELECTION, call_main, overlay_file

PROXY = "PROXY proxy.corp.example:3128"


@pytest.fixture
def engine() -> Iterator[None]:
    # pacparser keeps one global JavaScript context: set it up and tear it down around every test.
    pacparser.init()
    pacparser.setmyip("10.0.0.5")  # myIpAddress() must not look at the machine's interfaces
    try:
        yield
    finally:
        pacparser.cleanup()


def route(pac: str, url: str) -> str:
    pacparser.parse_pac_string(pac)
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    return str(pacparser.find_proxy(url, host))


@pytest.fixture(scope="module")
def hybrid_suffix_plan(tmp_path_factory: pytest.TempPathFactory) -> EgressPlan:
    document = {
        "entries": [
            {
                "id": "corp-suffix",
                "role": "agent",
                "usage": {"en": "test"},
                "domain_suffix": True,
                "urls": ["https://*.securitycloud.symantec.com"],
            }
        ]
    }
    path = tmp_path_factory.mktemp("overlay") / "overlay.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    overlay = SourcedOverlay(str(path), parse_overlay(document, str(path)))
    return select(load_catalog(), mode="hybrid", version="14.3 RU1", overlays=[overlay])


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_catalog_hosts_go_to_the_proxy_and_others_direct(hybrid_plan: EgressPlan) -> None:
    pac = pac_file(hybrid_plan, route="proxy.corp.example:3128")
    for host in hybrid_plan.hosts:
        assert route(pac, f"https://{host}/") == PROXY, host
    assert route(pac, "https://LiveUpdate.Symantec.com./x") == PROXY  # case and the root's dot do not matter
    for other in ("www.example.org", "symantec.com", "intranet", "10.1.2.3"):
        assert route(pac, f"https://{other}/") == "DIRECT", other


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_exact_names_never_match_lookalikes(hybrid_plan: EgressPlan) -> None:
    """``dnsDomainIs`` is a bare string suffix test; the PAC must not let it widen an exact name."""
    pac = pac_file(hybrid_plan, route="proxy.corp.example:3128")
    for lookalike in (
        "evil-liveupdate.symantec.com",
        "x.liveupdate.symantec.com",
        "liveupdate.symantec.com.evil.example",
        "eviltelemetry.broadcom.com",
    ):
        assert route(pac, f"https://{lookalike}/") == "DIRECT", lookalike


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_suffix_names_match_subdomains_only(hybrid_suffix_plan: EgressPlan) -> None:
    pac = pac_file(hybrid_suffix_plan, route="DIRECT", default="PROXY inspect.corp.example:8080")
    for inside in ("securitycloud.symantec.com", "a.securitycloud.symantec.com", "a.b.securitycloud.symantec.com"):
        assert route(pac, f"https://{inside}/") == "DIRECT", inside
    for outside in ("evil-securitycloud.symantec.com", "securitycloud.symantec.com.evil.example", "example.org"):
        assert route(pac, f"https://{outside}/") == "PROXY inspect.corp.example:8080", outside
    # Names under the suffix are not repeated as exact entries.
    assert '"sep.securitycloud.symantec.com"' not in pac


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_pac_file_on_disk_parses(tmp_path: Path, on_prem_plan: EgressPlan) -> None:
    path = tmp_path / "sep-egress.pac"
    path.write_text(pac_file(on_prem_plan, route="DIRECT", default="proxy.corp.example:3128; DIRECT"))
    pacparser.parse_pac_file(str(path))
    assert pacparser.find_proxy("https://faults.symantec.com/", "faults.symantec.com") == "DIRECT"
    assert pacparser.find_proxy("http://example.org/", "example.org") == "PROXY proxy.corp.example:3128; DIRECT"


def test_pac_is_deterministic(hybrid_plan: EgressPlan) -> None:
    assert pac_file(hybrid_plan, route="p:1") == pac_file(hybrid_plan, route="p:1")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("DIRECT", "DIRECT"),
        ("direct", "DIRECT"),
        ("proxy.example:3128", "PROXY proxy.example:3128"),
        ("PROXY proxy.example:3128", "PROXY proxy.example:3128"),
        ("https proxy.example:443;DIRECT", "HTTPS proxy.example:443; DIRECT"),
        ("[2001:db8::1]:3128", "PROXY [2001:db8::1]:3128"),
    ],
)
def test_pac_route_normalises(given: str, expected: str) -> None:
    assert pac_route(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "proxy.example", "proxy.example:0", "proxy.example:70000", 'p:1"; alert(1); "', "FTP p:21", "a b c"]
)
def test_pac_route_refuses_anything_else(bad: str) -> None:
    with pytest.raises(ProxyExportError):
        pac_route(bad)


@pytest.mark.real_program
def test_the_pac_cannot_be_taken_over_through_shared_host_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reported case: U+2028 ends a // comment in JavaScript; the PAC must answer DIRECT for other hosts."""
    escaped = "x\\u2028return 'SOCKS attacker:1080';//"
    path = overlay_file(
        tmp_path,
        "entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: [a.example.com]\n"
        f'    shared_host: "{escaped}"\n',
    )
    code, out, _ = call_main(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    if code == 0:  # accepted text must be inert
        pacparser.init()
        try:
            pacparser.parse_pac_string(out)
            assert pacparser.find_proxy("http://unrelated.example/", "unrelated.example") == "DIRECT"
        finally:
            pacparser.cleanup()
    assert "\u2028" not in out and "SOCKS attacker" not in out


@pytest.mark.real_program
@pytest.mark.parametrize("route", ["proxy.example:\u0663\u0661\u0662\u0668", "PROXY proxy.example:\u00b3"])
def test_unicode_digits_in_a_pac_route_are_refused(route: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call_main(["export", "pac", *SELECTION, "--proxy-url", route], capsys)
    assert code == 2, out


# --- a stack with a GCP Secure Web Proxy: its names to the proxy, the firewall's names DIRECT -------------------------

SWP_NETWORK = "projects/p/global/networks/vpc"
SWP_OPTIONS = {
    "region": "europe-west1",
    "network": SWP_NETWORK,
    "subnetwork": "projects/p/regions/europe-west1/subnetworks/workloads",
    "address": "10.0.0.10",
    "port": 3128,
}


def swp_project(tmp_path: Path, proxy: dict[str, object] | None, **firewall_options: object) -> Path:
    """A project whose stack ``swp`` is the cloud-mode plan with a GCP firewall policy (and the proxy part)."""
    import shutil

    from support import ROOT

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    gcp: dict[str, object] = {
        "firewall": {
            "secure_tags": {"parent": "projects/p", "network": "p/vpc"},
            "options": {"networks": [SWP_NETWORK], **firewall_options},
        }
    }
    if proxy is not None:
        gcp["secure_web_proxy"] = {"options": {**SWP_OPTIONS, **proxy}}
    config = {"sep-egress:mode": "cloud", "sep-egress:version": "14.3 RU1", "sep-egress:gcp": gcp}
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.swp.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return tmp_path


def stack_pac(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = call_main(["export", "pac", "--stack", "swp", "--project-dir", str(project), *extra], capsys)
    assert code == 0, err
    return out


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("access", [False, True])
def test_address_limited_proxy_gets_exactly_its_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], access: bool
) -> None:
    from sep_egress.compile.gcp.firewall import proxied_names
    from sep_egress.settings import read_stack_file

    project = swp_project(tmp_path, {"names": "address-limited"}, private_google_access=access)
    plan = read_stack_file(project, "swp").plan()
    served = proxied_names(plan, "address-limited", access)
    assert served and served != set(plan.hosts)  # both routes are exercised
    pac = stack_pac(project, capsys)
    for host in plan.hosts:
        expected = "PROXY 10.0.0.10:3128" if host in served else "DIRECT"
        assert route(pac, f"https://{host}/") == expected, host
    # storage.googleapis.com: the proxy serves it, unless Private Google Access does (then DIRECT to its VIP)
    assert route(pac, "https://storage.googleapis.com/") == ("DIRECT" if access else "PROXY 10.0.0.10:3128")
    assert route(pac, "https://www.example.org/") == "DIRECT"  # --pac-default


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_the_proxy_matches_what_the_compiled_stack_serves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The PAC's proxied names are the compiled proxy's hosts, and no compiled FQDN rule names one of them."""
    from sep_egress.compile.gcp import FirewallPolicySpec, SecureWebProxySpec
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import read_stack_file

    project = swp_project(tmp_path, {})
    deployment = prepare_deployment(read_stack_file(project, "swp"))
    (proxy,) = [spec for spec in deployment.specs if isinstance(spec, SecureWebProxySpec)]
    (firewall,) = [spec for spec in deployment.specs if isinstance(spec, FirewallPolicySpec)]
    fqdn = {name for rule in firewall.rules for name in rule.dest_fqdns}
    pac = stack_pac(project, capsys, "--pac-default", "PROXY corp.example:8080")
    for host in proxy.hosts:
        assert route(pac, f"https://{host}/") == "PROXY 10.0.0.10:3128", host
    for host in fqdn:
        assert route(pac, f"https://{host}/") == "DIRECT", host
    assert route(pac, "https://www.example.org/") == "PROXY corp.example:8080"


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_names_all_sends_every_plan_host_to_the_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sep_egress.settings import read_stack_file

    project = swp_project(tmp_path, {"names": "all"})
    pac = stack_pac(project, capsys)
    for host in read_stack_file(project, "swp").plan().hosts:
        assert route(pac, f"https://{host}/") == "PROXY 10.0.0.10:3128", host
    assert route(pac, "https://www.example.org/") == "DIRECT"


def test_without_a_proxy_part_the_stack_pac_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sep_egress.settings import read_stack_file

    project = swp_project(tmp_path, None)
    plan = read_stack_file(project, "swp").plan()
    out = stack_pac(project, capsys, "--proxy-url", "proxy.corp.example:3128")
    assert out == pac_file(plan, route="proxy.corp.example:3128")
    assert out == pac_file(plan, route="proxy.corp.example:3128", proxied=None, proxied_route="p:1")
    assert "proxied_" not in out and "direct_" not in out


def test_the_single_route_pac_text_is_the_one_before_proxied_names(hybrid_plan: EgressPlan) -> None:
    """The exact script text of a plan without proxied names (a change here changes every deployed PAC file)."""
    pac = pac_file(hybrid_plan, route="p.example:3128")
    body = pac[pac.index("function FindProxyForURL") :]
    assert body.count("for (i = 0;") == 2
    assert "  for (i = 0; i < exact.length; i++) {\n    if (name == exact[i]) {\n" in body
    assert '    if (name == suffixes[i] || dnsDomainIs(name, "." + suffixes[i])) {\n' in body


@pytest.mark.real_program
def test_a_stack_proxy_refuses_proxy_url_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = swp_project(tmp_path, {})
    argv = ["export", "pac", "--stack", "swp", "--project-dir", str(project)]
    code, _, err = call_main([*argv, "--proxy-url", "p.example:3128"], capsys)
    assert code == 2 and "Secure Web Proxy" in err and "drop --proxy-url" in err and "Traceback" not in err
    config = tmp_path / "stacks" / "Pulumi.swp.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("address: 10.0.0.10", "address: 10.0.0.300"))
    code, _, err = call_main(argv, capsys)
    assert code == 2 and "gcp.secure_web_proxy.options.address" in err and "Traceback" not in err


@pytest.mark.real_program
@pytest.mark.usefixtures("engine")
def test_exact_names_win_over_a_suffix_of_the_other_route() -> None:
    from sep_egress.catalog import load_catalog, select

    plan = select(load_catalog(), mode="cloud", version="14.3 RU1")
    suffixes = sorted({rule.host for rule in plan.allow if rule.match == "suffix"})
    exact = sorted({rule.host for rule in plan.allow if rule.match == "exact"})
    proxied = frozenset({exact[0]})
    pac = pac_file(
        plan, route="DIRECT", default="PROXY other.example:1", proxied=proxied, proxied_route="10.0.0.10:443"
    )
    assert route(pac, f"https://{exact[0]}/") == "PROXY 10.0.0.10:443"
    for name in [*exact[1:], *suffixes]:
        assert route(pac, f"https://{name}/") == "DIRECT", name


def test_host_lists_split_at_the_stack_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``export hosts --swp-names``: the proxy's names, and the rest (a bypass list); together the plan's names."""
    from sep_egress.compile.gcp.firewall import proxied_names
    from sep_egress.compile.proxy import host_list
    from sep_egress.settings import read_stack_file

    project = swp_project(tmp_path, {}, private_google_access=True)
    plan = read_stack_file(project, "swp").plan()
    argv = ["export", "hosts", "--stack", "swp", "--project-dir", str(project), "--no-comments", "--swp-names"]
    listed = {}
    for which in ("served", "direct"):
        code, out, err = call_main([*argv, which], capsys)
        assert code == 0, err
        listed[which] = set(out.split())
    assert listed["served"] == proxied_names(plan, "address-limited", True)
    assert "storage.googleapis.com" in listed["direct"]  # Private Google Access serves it
    assert not listed["served"] & listed["direct"]
    assert listed["served"] | listed["direct"] == set(host_list(plan, comments=False).split())
    code, out, err = call_main([arg for arg in argv if arg != "--no-comments"] + ["served"], capsys)
    assert code == 0 and out.startswith("#") and "# Only the names the Secure Web Proxy serves" in out, err


def test_swp_names_needs_a_stack_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = swp_project(tmp_path, None)
    code, _, err = call_main(
        ["export", "hosts", "--stack", "swp", "--project-dir", str(project), "--swp-names", "direct"], capsys
    )
    assert code == 2 and "needs a --stack with a GCP Secure Web Proxy" in err
    code, _, err = call_main(["export", "csv", *SELECTION, "--swp-names", "direct"], capsys)
    assert code == 2 and "--swp-names applies to 'export hosts' only" in err
