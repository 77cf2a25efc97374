"""get_ssl_status against a real nginx serving real certificates over SNI, and the pure x509
helpers on certificates generated here (expired, wildcard, with a key in the same file)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.runner import call_tool
from sfai_agent.tools.x509 import (
    describe_certificate,
    expiry_phrase,
    hostname_matches,
    load_certificates,
    split_pem,
)
from tests.fixtures.nginx import NginxConfigCopy, NginxServer, make_certificate
from tests.recording import RecordingExecutor

pytestmark = pytest.mark.nginx


def _expected_days(not_after: datetime) -> float:
    return (not_after - datetime.now(UTC)).total_seconds() / 86_400


async def test_valid_certificate_has_90_days_and_is_served_as_is(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    domain = "valid.sfai.test"
    result = await run_tool("get_ssl_status", {"domain": domain}, **nginx_server.settings)
    assert result["ok"], result
    assert result["certificate_file"] == str(nginx_server.certificates[domain])
    cert = result["file_certificate"]
    assert cert["subject_cn"] == domain and cert["sans"] == [domain]
    assert cert["issuer_cn"] == domain and cert["self_signed"] is True
    assert cert["matches_domain"] is True and cert["expired"] is False
    assert cert["fingerprint_sha256"] == nginx_server.fingerprints[domain]
    assert cert["not_after"] == nginx_server.not_after[domain].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 89.9 < result["days_left"] <= 90
    assert abs(result["days_left"] - _expected_days(nginx_server.not_after[domain])) < 0.01
    served = result["served"]
    assert (served["address"], served["port"]) == ("127.0.0.1", nginx_server.tls_port)
    assert served["same_as_file"] is True
    assert served["verify"].startswith("18 ")  # self-signed, as openssl says
    assert result["certificate_file_has_private_key"] is False
    assert result["summary"] == (
        f"{domain}: certificate expires in 90 days ({cert['not_after'][:10]}), served matches file"
    )


async def test_expiring_certificate_has_3_days_left(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    domain = "expiring.sfai.test"
    result = await run_tool("get_ssl_status", {"domain": domain}, **nginx_server.settings)
    expected = _expected_days(nginx_server.not_after[domain])
    assert 2 <= expected <= 3
    assert 2 <= result["days_left"] <= 3
    assert abs(result["days_left"] - expected) < 0.01
    assert result["not_after"] == nginx_server.not_after[domain].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result["summary"].startswith(f"{domain}: certificate expires in 3 days (")
    assert {
        "severity": "critical",
        "title": f"certificate expires in 3 days ({result['not_after'][:10]})",
    } in (result["findings"])


async def test_each_sni_name_gets_its_own_certificate(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    served = {}
    for domain in ("valid.sfai.test", "expiring.sfai.test"):
        result = await run_tool("get_ssl_status", {"domain": domain}, **nginx_server.settings)
        assert result["served"]["port"] == nginx_server.tls_port
        served[domain] = result["served"]["certificate"]["fingerprint_sha256"]
        assert served[domain] == nginx_server.fingerprints[domain]
        assert result["served"]["certificate"]["subject_cn"] == domain
    assert len(set(served.values())) == 2
    assert nginx_server.fingerprints["default.sfai.test"] not in served.values()


async def test_plain_http_only_domain_is_a_clear_not_found(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "get_ssl_status", {"domain": "plain.sfai.test"}, **nginx_server.settings
    )
    assert result["error"]["code"] == "not_found"
    assert "plain HTTP only" in result["error"]["message"]
    assert (
        f"{nginx_server.sites_conf}:{nginx_server.block_lines['plain.sfai.test']}"
        in result["error"]["message"]
    )
    assert "listen 443 ssl" in result["error"]["hint"]


async def test_unknown_domain_is_not_found(nginx_server: NginxServer, run_tool: Any) -> None:
    result = await run_tool("get_ssl_status", {"domain": "nope.sfai.test"}, **nginx_server.settings)
    assert result["error"]["code"] == "not_found"
    assert "valid.sfai.test" in result["error"]["hint"]


async def test_private_key_in_the_certificate_file_never_leaves(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    domain = "combined.sfai.test"
    now = datetime.now(UTC)
    cert_pem, key_pem, fingerprint = make_certificate(
        domain, now - timedelta(days=1), now + timedelta(days=30)
    )
    combined = nginx_config_copy.root / "certs" / "combined.pem"
    combined.write_bytes(cert_pem + key_pem)
    nginx_config_copy.add_conf(
        "combined.conf",
        "server {\n"
        f"    listen 127.0.0.1:{nginx_config_copy.source.tls_port} ssl;\n"
        f"    server_name {domain};\n"
        f"    ssl_certificate {combined};\n"
        f"    ssl_certificate_key {combined};\n"
        "}\n",
    )
    result = await run_tool("get_ssl_status", {"domain": domain}, **nginx_config_copy.settings)
    assert result["ok"], result
    assert result["certificate_file_has_private_key"] is True
    assert result["file_certificate"]["fingerprint_sha256"] == fingerprint
    assert any("private key" in f["title"] for f in result["findings"])
    dumped = json.dumps(result)
    key_body = [line for line in key_pem.decode().splitlines() if not line.startswith("-----")]
    assert key_body and not any(line in dumped for line in key_body)
    assert "BEGIN" not in dumped and "PRIVATE KEY" not in dumped
    # the live nginx does not know this name: it answers with its default certificate
    assert result["served"]["same_as_file"] is False
    assert result["served"]["certificate"]["subject_cn"] == "default.sfai.test"
    assert {
        "severity": "critical",
        "title": f"the served certificate is for default.sfai.test, not {domain}",
    } in result["findings"]


async def test_renewed_but_not_reloaded_shows_served_differs(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    """The copy's certificate file is replaced (a renewal); the live nginx still serves the old one."""
    domain = "valid.sfai.test"
    now = datetime.now(UTC)
    cert_pem, _key, fingerprint = make_certificate(domain, now, now + timedelta(days=89))
    (nginx_config_copy.root / "certs" / domain / "fullchain.pem").write_bytes(cert_pem)
    result = await run_tool("get_ssl_status", {"domain": domain}, **nginx_config_copy.settings)
    assert result["file_certificate"]["fingerprint_sha256"] == fingerprint
    assert (
        result["served"]["certificate"]["fingerprint_sha256"]
        == nginx_config_copy.source.fingerprints[domain]
    )
    assert result["served"]["same_as_file"] is False
    assert result["summary"].endswith("served DIFFERS from file")
    assert any("reload nginx" in f["title"] for f in result["findings"])


async def test_missing_certificate_file_is_a_finding(
    nginx_config_copy: NginxConfigCopy, run_tool: Any
) -> None:
    nginx_config_copy.add_conf(
        "gone.conf",
        f"server {{ listen 127.0.0.1:{nginx_config_copy.source.tls_port} ssl; server_name gone.sfai.test;"
        f" ssl_certificate {nginx_config_copy.root}/certs/gone.pem; }}\n",
    )
    result = await run_tool(
        "get_ssl_status", {"domain": "gone.sfai.test"}, **nginx_config_copy.settings
    )
    assert result["ok"], result
    assert "no such file" in result["certificate_error"]
    assert result["findings"][0]["severity"] == "critical"
    assert "file_certificate" not in result
    assert result["served"]["certificate"]["subject_cn"] == "default.sfai.test"


async def test_without_openssl_the_file_is_still_checked(nginx_server: NginxServer) -> None:
    executor = RecordingExecutor(missing={"openssl"})
    context = ToolContext(executor=executor, settings=AgentSettings(**nginx_server.settings))
    result = await call_tool("get_ssl_status", {"domain": "valid.sfai.test"}, context)
    assert result["ok"], result
    assert result["file_certificate"]["subject_cn"] == "valid.sfai.test"
    assert "apt install openssl" in result["served"]["hint"]
    assert "handshake failed" in result["summary"]


async def test_handshake_uses_sni_and_stdin_is_empty(nginx_server: NginxServer) -> None:
    executor = RecordingExecutor()
    context = ToolContext(executor=executor, settings=AgentSettings(**nginx_server.settings))
    await call_tool("get_ssl_status", {"domain": "expiring.sfai.test"}, context)
    (argv,) = [argv for kind, argv in executor.calls if kind == "run" and argv[0] == "openssl"]
    assert argv[:6] == [
        "openssl",
        "s_client",
        "-connect",
        f"127.0.0.1:{nginx_server.tls_port}",
        "-servername",
        "expiring.sfai.test",
    ]
    assert not any(
        kind == "read_file" and path.endswith((".key", "privkey.pem"))
        for kind, path in executor.calls
    )


# -- x509 helpers, on certificates generated here --


def test_split_pem_keeps_certificates_and_drops_keys() -> None:
    now = datetime.now(UTC)
    cert_a, key_a, _ = make_certificate("a.test", now, now + timedelta(days=1))
    cert_b, _, _ = make_certificate("b.test", now, now + timedelta(days=1))
    params = b"-----BEGIN DH PARAMETERS-----\nMIIBCAKCAQEA\n-----END DH PARAMETERS-----\n"
    bundle = split_pem(b"junk\n" + cert_a + key_a + params + cert_b)
    assert bundle.certificates == (cert_a.strip(), cert_b.strip())
    assert bundle.has_private_key is True
    assert bundle.other_blocks == ("DH PARAMETERS",)
    assert split_pem(cert_a).has_private_key is False
    # a truncated key still counts as a key
    assert split_pem(cert_a + key_a[:60]).has_private_key is True
    assert split_pem(b"").certificates == ()


def test_describe_an_expired_certificate() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    pem, _, _ = make_certificate("old.test", now - timedelta(days=100), now - timedelta(days=10))
    (cert,) = load_certificates(split_pem(pem))
    described = describe_certificate(cert, domain="old.test", now=now)
    assert described["expired"] is True
    assert described["days_left"] == -10.0
    assert expiry_phrase(described["days_left"], described["not_after"]).startswith(
        "EXPIRED 10 day(s) ago"
    )
    assert described["matches_domain"] is True
    assert describe_certificate(cert, domain="other.test", now=now)["matches_domain"] is False


def test_malformed_certificate_raises_without_its_data() -> None:
    bad = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="certificate #1") as caught:
        load_certificates(split_pem(bad))
    assert "bm90" not in str(caught.value)


@pytest.mark.parametrize(
    ("domain", "pattern", "matches"),
    [
        ("shop.example.com", "shop.example.com", True),
        ("SHOP.example.com", "shop.EXAMPLE.com", True),
        ("shop.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", False),
        ("example.com", "*.example.com", False),
        ("shop.example.com", "*.com", False),
        ("shop.example.com", "other.example.com", False),
    ],
)
def test_certificate_name_matching_follows_rfc_6125(
    domain: str, pattern: str, matches: bool
) -> None:
    assert hostname_matches(domain, pattern) is matches


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        (89.6, "expires in 90 days"),
        (2.99, "expires in 3 days"),
        (0.25, "expires in 6 hour(s)"),
        (-0.5, "EXPIRED ("),
    ],
)
def test_expiry_phrases(days: float, phrase: str) -> None:
    assert expiry_phrase(days, "2026-11-27T10:00:00Z").startswith(phrase)
