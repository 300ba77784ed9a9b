"""The trust stores of a check: certificate names read from DER, and TLS contexts built once per run."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from cryptography import x509

from sep_egress.connectivity import (
    Target,
    TrustStores,
    check_all,
    der_names,
)

from loopback import CATALOG_HOST as HOST
from loopback import LoopbackOrigin, tls_context, write_ca


def test_der_names_match_cryptography(ca: trustme.CA) -> None:
    pem = ca.issue_cert(HOST).cert_chain_pems[0].bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode())
    issuer, subject = der_names(der)
    cert = x509.load_der_x509_certificate(der)
    assert issuer is not None
    assert subject is not None
    for name, text in ((cert.issuer, issuer), (cert.subject, subject)):
        for attribute in name.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME):
            assert f"O={attribute.value!s}" in text
    assert der_names(b"\x30\x03\x02\x01") == (None, None)  # truncated input is tolerated


def test_tls_contexts_are_built_once_not_per_handshake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    ca_file = write_ca(ca, tmp_path / "ca.pem")
    built: list[object] = []
    original = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        built.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    with LoopbackOrigin(tls_context(ca, "a.example.com")) as origin:
        from sep_egress.connectivity import Overrides

        targets = [Target("a.example.com", 443 + index, "tls") for index in range(12)]
        overrides = Overrides.parse(connect_to=[f"a.example.com:{443 + i}:127.0.0.1:{origin.port}" for i in range(12)])
        monkeypatch.setattr(ssl, "create_default_context", counting)
        # A store the public roots do not hold: every target takes all three handshakes.
        results = check_all(
            targets,
            timeout=5,
            concurrency=4,
            overrides=overrides,
            trust=TrustStores(public_cafile=write_ca(trustme.CA(), tmp_path / "other.pem"), local_cafile=ca_file),
        )
    assert all(result.tls.intercepted for result in results)
    assert len(built) <= 3, len(built)
