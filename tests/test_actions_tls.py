"""renew_certificate with real parts: certbot issuing from and renewing against a Pebble ACME
server on loopback (HTTP-01 through a real nginx webroot, names resolved by
pebble-challtestsrv), the renewed certificate served by that nginx after a real reload; and
the refusals (unknown domain, certificates certbot does not manage, hostile names), all
through the real runner and its policy (a real run needs ``approved=True``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sfai_agent.exec import LocalExecutor
from sfai_agent.exec.base import CommandResult
from sfai_agent.settings import AgentSettings
from sfai_agent.tools.base import ToolContext
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.certbot import (
    LE_PRODUCTION,
    RenewalConf,
    dry_run_server_argv,
    due_from,
    output_lines,
    parse_certificates,
    parse_renewal_conf,
    renew_outcome,
)
from sfai_agent.tools.render import render_result
from sfai_agent.tools.runner import call_tool
from tests.cli import run_sfai
from tests.fixtures.nginx import NginxConfigCopy, NginxServer
from tests.fixtures.pebble import (
    COPY_DOMAIN,
    DOMAIN,
    SELF_SIGNED_DOMAIN,
    SLOW_MACHINE_TIMEOUT_S,
    CertbotSite,
)
from tests.recording import RecordingExecutor


def context(site: CertbotSite, **overrides: Any) -> ToolContext:
    return ToolContext(
        executor=LocalExecutor(), settings=AgentSettings(**{**site.settings, **overrides})
    )


async def renew(site: CertbotSite, domain: str = DOMAIN, **overrides: Any) -> dict[str, Any]:
    """A real run, approved as the operator's approval flow would."""
    args = {"domain": domain, "dry_run": False}
    return await call_tool("renew_certificate", args, context(site, **overrides), approved=True)


def test_renew_certificate_is_a_medium_risk_action_that_previews_by_default() -> None:
    spec = load_catalog()["renew_certificate"].spec
    assert spec.risk.value == "medium" and spec.family == "actions_tls"
    assert spec.has_dry_run and spec.input_schema["properties"]["dry_run"]["default"] is True
    assert spec.input_schema["required"] == ["domain"]
    assert "approval" in spec.description and "dry_run=true" in spec.description


# --- Pebble: real issuance, rehearsal, renewal --------------------------------------------


@pytest.mark.pebble
async def test_dry_run_rehearses_with_certbot_and_changes_nothing(
    certbot_site: CertbotSite, run_tool: Any
) -> None:
    served = certbot_site.served_fingerprint(DOMAIN)
    versions = certbot_site.archive_versions()
    result = await run_tool("renew_certificate", {"domain": DOMAIN}, **certbot_site.settings)
    assert result["ok"], result
    assert result["dry_run"] is True and "verified" not in result and "after" not in result
    assert result["certificate_name"] == DOMAIN and result["matched_by"] == "certificate_path"
    assert result["certbot_certificate"]["domains"] == [DOMAIN, COPY_DOMAIN]
    assert result["nginx"]["uses_certbot_files"] is True
    args = list(certbot_site.certbot_args)
    assert result["command"] == [
        "certbot",
        *args,
        "renew",
        f"--cert-name={DOMAIN}",
        "--non-interactive",
        "--no-random-sleep-on-renew",
    ]
    # certbot's own rehearsal, against the CA the renewal config names (not LE staging)
    url = certbot_site.acme.directory_url
    assert result["certbot"]["command"] == [
        "certbot",
        *args,
        "renew",
        f"--cert-name={DOMAIN}",
        f"--server={url}",
        "--dry-run",
        "--non-interactive",
        "--no-random-sleep-on-renew",
    ]
    assert result["certbot"]["outcome"] == "succeeded" and result["certbot"]["exit_code"] == 0
    assert any("simulated renewals succeeded" in line for line in result["certbot"]["output"])
    assert result["renewal"]["server"] == url and result["renewal"]["renew_before_days"] == 30
    before = result["before"]["served"]
    assert before["fingerprint_sha256"] == served == certbot_site.lineage_fingerprint()
    expiry = datetime.fromisoformat(before["not_after"].replace("Z", "+00:00"))
    assert result["renewal"]["due_from"] == (expiry - timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    assert result["reload_command"][1:4] == ["-s", "reload", "-c"]
    assert result["summary"].startswith(f"dry-run: certbot's rehearsal for {DOMAIN} succeeded")
    assert f"serial {before['serial']}" in result["summary"]
    # nothing changed: no new certificate version, nginx serves the same one
    assert certbot_site.archive_versions() == versions
    assert certbot_site.served_fingerprint(DOMAIN) == served
    text = render_result("renew_certificate", result)
    assert "before:" in text and "certbot: succeeded (exit 0)" in text and "reload: " in text


@pytest.mark.pebble
async def test_real_run_when_not_due_changes_nothing_and_says_how_to_force(
    certbot_site: CertbotSite,
) -> None:
    served, versions = certbot_site.served_fingerprint(DOMAIN), certbot_site.archive_versions()
    result = await renew(certbot_site)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "not_due"
    assert result["changed"] is False and result["verified"] is True
    assert "reload" not in result  # nginx already serves certbot's current certificate
    assert f"{DOMAIN} is not due for renewal" in result["summary"]
    assert result["renewal"]["due_from"][:10] in result["summary"]
    assert result["hint"].endswith(
        f"renew --cert-name={DOMAIN} --non-interactive --no-random-sleep-on-renew --force-renewal"
    )
    assert certbot_site.archive_versions() == versions
    assert certbot_site.served_fingerprint(DOMAIN) == served


@pytest.mark.pebble
async def test_real_run_renews_reloads_nginx_and_verifies_the_served_certificate(
    certbot_site: CertbotSite, run_tool: Any
) -> None:
    certbot_site.make_due()
    old = certbot_site.served_fingerprint(DOMAIN)
    refused = await run_tool(
        "renew_certificate", {"domain": DOMAIN, "dry_run": False}, **certbot_site.settings
    )
    assert refused["ok"] is False and refused["error"]["code"] == "approval_required"
    assert certbot_site.archive_versions() == ["cert1.pem"]

    result = await renew(certbot_site)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "renewed", result["certbot"]
    assert certbot_site.archive_versions() == ["cert1.pem", "cert2.pem"]
    new = certbot_site.served_fingerprint(DOMAIN)  # our own handshake, not the tool's
    assert new != old and new == certbot_site.lineage_fingerprint()
    before, after = result["before"]["served"], result["after"]["served"]
    assert before["fingerprint_sha256"] == old and after["fingerprint_sha256"] == new
    assert before["serial"] != after["serial"]
    assert after["not_after"].endswith("Z") and after["days_left"] > 1800
    assert result["reload"]["exit_code"] == 0
    assert result["reload"]["command"] == result["reload_command"]
    assert result["changed"] is True and result["verified"] is True
    assert result["summary"].startswith(
        f"{DOMAIN} renewed: nginx now serves serial {after['serial']}"
    )
    assert f"was serial {before['serial']}" in result["summary"]


@pytest.mark.pebble
async def test_renewed_while_nginx_serves_a_copy_is_not_verified_and_says_why(
    certbot_site: CertbotSite, run_tool: Any
) -> None:
    preview = await run_tool("renew_certificate", {"domain": COPY_DOMAIN}, **certbot_site.settings)
    assert preview["ok"] and preview["matched_by"] == "domain"
    assert preview["nginx"]["uses_certbot_files"] is False
    assert "a renewal does not change what nginx serves" in preview["summary"]
    certbot_site.make_due()
    old = certbot_site.served_fingerprint(COPY_DOMAIN)
    result = await renew(certbot_site, COPY_DOMAIN, site_check_timeout_s=2.0)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "renewed"
    assert result["changed"] is True and result["verified"] is False
    assert certbot_site.served_fingerprint(COPY_DOMAIN) == old  # the copy was not renewed
    assert result["after"]["served"]["fingerprint_sha256"] == old
    assert result["after"]["certbot"]["fingerprint_sha256"] == certbot_site.lineage_fingerprint()
    assert result["summary"].startswith(f"certbot renewed {DOMAIN} (serial ")
    assert "but nginx still serves" in result["summary"]
    assert f"ssl_certificate {certbot_site.live}/fullchain.pem" in result["hint"]


@pytest.mark.pebble
async def test_nginx_not_reloaded_after_an_earlier_renewal_is_fixed_by_a_reload(
    certbot_site: CertbotSite,
) -> None:
    old = certbot_site.served_fingerprint(DOMAIN)
    forced = certbot_site.certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert forced.returncode == 0, forced.stderr
    assert certbot_site.served_fingerprint(DOMAIN) == old  # renewed, nginx not told
    result = await renew(certbot_site)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "not_due"
    assert result["before"]["served"]["fingerprint_sha256"] == old
    assert result["reload"]["exit_code"] == 0
    assert result["changed"] is True and result["verified"] is True
    assert certbot_site.served_fingerprint(DOMAIN) == certbot_site.lineage_fingerprint() != old
    assert result["summary"].startswith(f"certbot had already renewed {DOMAIN}: nginx now serves")


@pytest.mark.pebble
async def test_a_config_nginx_rejects_is_not_reloaded_and_the_result_says_so(
    certbot_site: CertbotSite,
) -> None:
    certbot_site.make_due()
    old = certbot_site.served_fingerprint(DOMAIN)
    text = certbot_site.conf.read_text().rstrip()
    broken = text[:-1] + "    server {\n        server_name broken.sfai.test;\n"
    certbot_site.conf.write_text(broken + "        sfai_unknown_directive on;\n    }\n}\n")
    result = await renew(certbot_site)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "renewed"
    assert "nginx -t fails" in result["reload"]["skipped"]
    assert result["verified"] is False
    assert certbot_site.served_fingerprint(DOMAIN) == old
    assert "nginx was not reloaded because nginx -t fails" in result["summary"]
    assert result["hint"].startswith("fix nginx's config (nginx -t), then reload it: ")


@pytest.mark.pebble
async def test_a_self_signed_certificate_is_not_managed_and_the_command_is_given(
    certbot_site: CertbotSite, run_tool: Any
) -> None:
    result = await run_tool(
        "renew_certificate", {"domain": SELF_SIGNED_DOMAIN}, **certbot_site.settings
    )
    assert result["ok"] is False and result["error"]["code"] == "not_managed"
    message, hint = result["error"]["message"], result["error"]["hint"]
    assert message.startswith(
        f"certbot does not manage {SELF_SIGNED_DOMAIN}: nginx serves a "
        "self-signed certificate from "
    )
    assert str(certbot_site.root / "certs" / "selfsigned.crt") in message
    assert f"certbot's certificates: {DOMAIN} ({DOMAIN} {COPY_DOMAIN})" in message
    args = " ".join(certbot_site.certbot_args)
    assert (
        f"`certbot {args} certonly --webroot -w {certbot_site.webroot} -d {SELF_SIGNED_DOMAIN}`"
    ) in hint
    assert f"`certbot {args} --nginx -d {SELF_SIGNED_DOMAIN}`" in hint


@pytest.mark.pebble
async def test_a_failing_validation_fails_the_rehearsal_and_the_renewal_changes_nothing(
    certbot_site: CertbotSite, run_tool: Any
) -> None:
    # the webroot moved: challenge files land where nginx does not serve them (a 404)
    elsewhere = certbot_site.root / "moved-webroot"
    elsewhere.mkdir()
    conf = certbot_site.renewal_conf
    conf.write_text(conf.read_text().replace(str(certbot_site.acme.webroot), str(elsewhere)))
    certbot_site.make_due()
    old = certbot_site.served_fingerprint(DOMAIN)
    preview = await run_tool("renew_certificate", {"domain": DOMAIN}, **certbot_site.settings)
    assert preview["ok"], preview
    assert preview["certbot"]["outcome"] == "failed" and preview["certbot"]["exit_code"] != 0
    assert preview["summary"].startswith(f"dry-run: certbot's rehearsal for {DOMAIN} FAILED")
    assert "a real renewal would fail the same way" in preview["summary"]
    assert any("404" in line for line in preview["certbot"]["output"]), preview["certbot"]
    error = preview["certbot"]["error"]  # the CA's own words: which URL answered what
    domain, kind, _ = error.split(": ", 2)
    assert domain in (DOMAIN, COPY_DOMAIN) and kind == "unauthorized", error
    assert "/.well-known/acme-challenge/" in error and error.endswith(" returned 404")
    result = await renew(certbot_site)
    assert result["ok"], result
    assert result["certbot"]["outcome"] == "failed"
    assert result["verified"] is False and result["changed"] is False
    assert "reload" not in result
    assert result["summary"].startswith(f"certbot could not renew {DOMAIN}: ")
    assert certbot_site.archive_versions() == ["cert1.pem"]
    assert certbot_site.served_fingerprint(DOMAIN) == old


# --- without Pebble: the shared nginx, certbot with nothing to manage ------------------


@pytest.mark.nginx
async def test_unknown_domain_is_not_found_with_the_known_names(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "renew_certificate", {"domain": "nope.sfai.test"}, **nginx_server.settings
    )
    assert result["error"]["code"] == "not_found"
    assert (
        "no nginx server block has a server_name matching nope.sfai.test"
        in result["error"]["message"]
    )
    assert "valid.sfai.test" in result["error"]["hint"]


@pytest.mark.nginx
async def test_certbot_managing_nothing_explains_who_serves_the_certificate(
    nginx_server: NginxServer, run_tool: Any, tmp_path: Path
) -> None:
    layout = ("--config-dir", str(tmp_path / "c"), "--work-dir", str(tmp_path / "w"))
    args = (*layout, "--logs-dir", str(tmp_path / "l"))
    result = await run_tool(
        "renew_certificate",
        {"domain": "valid.sfai.test"},
        certbot_args=args,
        **nginx_server.settings,
    )
    assert result["error"]["code"] == "not_managed", result
    assert result["error"]["message"].endswith("certbot's certificates: none")
    assert str(nginx_server.certificates["valid.sfai.test"]) in result["error"]["message"]
    assert f"-w {nginx_server.root}/www -d valid.sfai.test`" in result["error"]["hint"]


@pytest.mark.nginx
async def test_a_certificate_from_another_ca_is_not_managed_and_names_its_issuer(
    nginx_config_copy: NginxConfigCopy, run_tool: Any, tmp_path: Path
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Commercial CA")])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bought.sfai.test")])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=200))
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    path = nginx_config_copy.root / "certs" / "bought.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    nginx_config_copy.add_conf(
        "bought.conf",
        f"server {{\n    listen 127.0.0.1:{nginx_config_copy.source.tls_port} ssl;\n"
        f"    server_name bought.sfai.test;\n    ssl_certificate {path};\n"
        f"    ssl_certificate_key {path}.key;\n}}\n",
    )
    args = ("--config-dir", str(tmp_path / "c"), "--work-dir", str(tmp_path / "w"))
    result = await run_tool(
        "renew_certificate",
        {"domain": "bought.sfai.test"},
        certbot_args=(*args, "--logs-dir", str(tmp_path / "l")),
        **nginx_config_copy.settings,
    )
    assert result["error"]["code"] == "not_managed", result
    message = result["error"]["message"]
    assert f"nginx serves a certificate issued by Example Commercial CA from {path}" in message
    assert result["error"]["hint"].startswith("renew it where it was issued, or ")
    # no root in that block: only certbot's nginx plugin can answer HTTP-01 for it
    assert "--nginx -d bought.sfai.test`" in result["error"]["hint"]
    assert "--webroot" not in result["error"]["hint"]


@pytest.mark.nginx
async def test_without_certbot_the_error_says_to_install_it(
    nginx_server: NginxServer, run_tool: Any
) -> None:
    result = await run_tool(
        "renew_certificate",
        {"domain": "expiring.sfai.test"},
        certbot_binary="sfai-no-such-certbot",
        **nginx_server.settings,
    )
    assert result["error"]["code"] == "unavailable"
    message = result["error"]["message"]
    assert message.startswith("certbot is not installed on this host (sfai-no-such-certbot")
    assert "self-signed certificate" in message and "expires in 3 days" in message
    assert result["error"]["hint"].startswith("install it (apt install certbot")


@pytest.mark.parametrize(
    "domain",
    [
        "shop.example.com; rm -rf /",
        "$(reboot).example.com",
        "`id`.example.com",
        "../../etc/letsencrypt/live",
        "/etc/passwd",
        "--cert-name=other",
        "a" * 300 + ".com",
        "example.com\nx",
        "",
        42,
    ],
)
async def test_hostile_domains_are_refused_before_any_command(domain: object) -> None:
    executor = RecordingExecutor()
    ctx = ToolContext(executor=executor)  # type: ignore[arg-type]
    result = await call_tool(
        "renew_certificate", {"domain": domain, "dry_run": False}, ctx, approved=True
    )
    assert result["ok"] is False and result["error"]["code"] == "invalid_argument", result
    assert executor.calls == []


# --- certbot's words, parsed ---------------------------------------------------------------

CERTIFICATES = """\
Found the following certs:
  Certificate Name: example.com
    Serial Number: 4b00699cd08a5194
    Key Type: ECDSA
    Domains: example.com www.example.com
    Expiry Date: 2031-11-24 18:04:31+00:00 (VALID: 1825 days)
    Certificate Path: /etc/letsencrypt/live/example.com/fullchain.pem
    Private Key Path: /etc/letsencrypt/live/example.com/privkey.pem
  Certificate Name: old.example.org
    Domains: old.example.org *.old.example.org
    Expiry Date: 2024-01-02 03:04:05+00:00 (INVALID: EXPIRED)
    Certificate Path: /etc/letsencrypt/live/old.example.org/fullchain.pem
    Private Key Path: /etc/letsencrypt/live/old.example.org/privkey.pem
"""


def test_certbot_certificates_output_is_parsed_into_lineages() -> None:
    first, second = parse_certificates(CERTIFICATES)
    assert first.name == "example.com" and first.domains == ("example.com", "www.example.com")
    assert first.expiry == "2031-11-24T18:04:31Z" and first.validity == "VALID: 1825 days"
    assert first.serial == "4b00699cd08a5194"
    assert first.config_dir == "/etc/letsencrypt"
    assert second.serial is None and second.validity == "INVALID: EXPIRED"
    assert second.domains == ("old.example.org", "*.old.example.org")
    assert parse_certificates("No certificates found.\n") == []


def test_renewal_conf_due_date_and_rehearsal_server() -> None:
    conf = parse_renewal_conf(
        "renew_before_expiry = 2 weeks\nversion = 2.1.0\n[renewalparams]\n"
        "server = https://acme.example.net/dir\nauthenticator = webroot\n"
        "webroot_path = /var/www/html,\n[[webroot_map]]\nexample.com = /var/www/html\n"
    )
    assert conf == RenewalConf(
        "https://acme.example.net/dir", "webroot", "2 weeks", "/var/www/html"
    )
    assert conf.renew_before_days() == 14
    assert due_from("2031-11-24T18:04:31Z", conf) == "2031-11-10T18:04:31Z"
    assert due_from("2031-11-24T18:04:31Z", None) == "2031-10-25T18:04:31Z"
    ctx = ToolContext(executor=LocalExecutor())
    assert dry_run_server_argv(conf, ctx) == ["--server=https://acme.example.net/dir"]
    production = RenewalConf(LE_PRODUCTION, "webroot", None, None)
    assert dry_run_server_argv(production, ctx) == []  # certbot rehearses on LE staging
    pinned = ToolContext(
        executor=LocalExecutor(), settings=AgentSettings(certbot_args=("--server", "https://x/"))
    )
    assert dry_run_server_argv(conf, pinned) == []


def _ran(stdout: str, stderr: str = "", code: int = 0) -> CommandResult:
    return CommandResult(("certbot", "renew"), code, stdout, stderr, 0.1)


def test_renew_outcomes_read_from_certbot_output() -> None:
    assert renew_outcome(_ran("Certificate not yet due for renewal\n")) == "not_due"
    assert renew_outcome(_ran("Congratulations, all renewals succeeded:\n")) == "renewed"
    failed = _ran("", "Failed to renew certificate x with error: boom\n1 renew failure(s)", 1)
    assert renew_outcome(failed) == "failed"
    wrapped = _ran("- - - -\nProcessing\n/etc/letsencrypt/renewal/x.conf\n- - - -\nok\n")
    assert output_lines(wrapped) == ["Processing /etc/letsencrypt/renewal/x.conf", "ok"]


@pytest.mark.pebble
@pytest.mark.timeout(300)  # three sfai processes, two of them running certbot
async def test_sfai_tools_run_previews_refuses_without_yes_and_renews_with_it(
    certbot_site: CertbotSite,
) -> None:
    env = {
        "SFAI_TOOLS__NGINX_CONF": str(certbot_site.conf),
        "SFAI_TOOLS__CERTBOT_ARGS": json.dumps(list(certbot_site.certbot_args)),
        "SFAI_TOOLS__TOOL_TIMEOUT_S": str(SLOW_MACHINE_TIMEOUT_S),
    }
    base = ("tools", "run", "renew_certificate", "--arg", f"domain={DOMAIN}")
    preview = run_sfai(*base, env=env, timeout=150)
    assert preview.code == 0, preview.stderr
    assert preview.stdout.startswith(f"dry-run: certbot's rehearsal for {DOMAIN} succeeded")
    assert "certbot: succeeded (exit 0)" in preview.stdout and "reload: " in preview.stdout
    certbot_site.make_due()
    old = certbot_site.served_fingerprint(DOMAIN)
    refused = run_sfai(*base, "--arg", "dry_run=false", env=env)
    assert refused.code == 3 and "approv" in refused.stderr
    assert certbot_site.archive_versions() == ["cert1.pem"]
    approved = run_sfai(*base, "--arg", "dry_run=false", "--yes", "--json", env=env, timeout=150)
    assert approved.code == 0, approved.stderr
    result = json.loads(approved.stdout)
    assert result["verified"] is True and result["changed"] is True
    assert certbot_site.served_fingerprint(DOMAIN) == certbot_site.lineage_fingerprint() != old
