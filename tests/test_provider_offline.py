"""The offline diagnostician, driven turn by turn as the engine drives it, on the results of
the real tools run on this machine: real disks and memory, the real supervisord fixture
(``crashy`` is FATAL) and the real nginx fixture (``expiring.sfai.test`` expires in 3 days).

Each test plays the engine: build a ProviderRequest, collect the provider's events, run the
ToolUse calls with the real tools (``run_tool``), append the results, and ask again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from sfai.core.checks import analyzers
from sfai.core.config import CheckThresholds
from sfai.core.events import FindingEvent, Usage
from sfai.core.framing import piped_block
from sfai.core.providers.base import (
    Message,
    ProviderEvent,
    ProviderRequest,
    TextDelta,
    ToolDefinition,
    ToolUse,
    TurnEnd,
)
from sfai.core.providers.offline import OfflineProvider
from sfai.core.providers.offline.i18n import translate
from sfai_agent.tools.catalog import load_catalog
from sfai_agent.tools.render import render_text
from tests.fixtures.nginx import NginxConfigCopy, NginxServer
from tests.fixtures.processes import free_port
from tests.fixtures.supervisor import CRASHY_STDERR_LINE, SupervisorInstance

CATALOG = [
    ToolDefinition(tool.spec.name, tool.spec.description, tool.spec.input_schema)
    for tool in load_catalog().values()
]
READ_ONLY = {
    tool.spec.name for tool in load_catalog().values() if tool.spec.risk.value == "read_only"
}
# A host with no service manager answers fast; the fixtures name the one they run.
NO_MANAGERS: dict[str, Any] = {"service_managers": ()}
CLAIMS = re.compile(
    r"\b(?:I|we) (?:have |just )?(?:restarted|renewed|cleaned|fixed|executed|ran)\b|"
    r"\bhas been (?:restarted|renewed|cleaned|fixed)\b|\bwas (?:restarted|renewed|cleaned)\b|"
    r"\ba été (?:redémarré|renouvelé|nettoyé|corrigé)|\bj'ai (?:redémarré|renouvelé|nettoyé|"
    r"corrigé|exécuté|lancé)",
    re.IGNORECASE,
)


@dataclass
class Turn:
    events: list[ProviderEvent]

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))

    @property
    def tool_uses(self) -> list[ToolUse]:
        return [e for e in self.events if isinstance(e, ToolUse)]

    @property
    def findings(self) -> list[FindingEvent]:
        return [e for e in self.events if isinstance(e, FindingEvent)]

    @property
    def end(self) -> TurnEnd:
        last = self.events[-1]
        assert isinstance(last, TurnEnd)
        return last

    @property
    def calls(self) -> set[str]:
        """``name`` or ``name:first argument``: what a reader checks first."""
        shown = set()
        for use in self.tool_uses:
            value = next(iter(use.input.values()), None)
            shown.add(use.name if value is None else f"{use.name}:{value}")
        return shown


@dataclass
class Conversation:
    question: str
    piped: str | None = None
    tools: list[ToolDefinition] = field(default_factory=lambda: list(CATALOG))
    provider: OfflineProvider = field(default_factory=OfflineProvider)
    history: list[Message] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        content: list[dict[str, Any]] = [{"type": "text", "text": self.question}]
        if self.piped is not None:
            content.append(piped_block(self.piped))
        self.messages = [*self.history, {"role": "user", "content": content}]

    async def turn(self) -> Turn:
        request = ProviderRequest(
            system="", context="", messages=self.messages, tools=self.tools, results=self.results
        )
        events = [event async for event in self.provider.stream(request)]
        turn = Turn(events)
        assert sum(isinstance(e, TurnEnd) for e in events) == 1 and turn.end is events[-1]
        assert turn.end.usage == Usage()
        assert {use.name for use in turn.tool_uses} <= READ_ONLY
        self.messages.append({"role": "assistant", "content": turn.end.content})
        return turn

    async def run(self, turn: Turn, run_tool: Any, **settings: Any) -> None:
        blocks = []
        for use in turn.tool_uses:
            result = await run_tool(use.name, use.input, **settings)
            self.results[use.id] = result
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": use.id,
                    "content": render_text(result),
                    "is_error": not result.get("ok"),
                }
            )
        self.messages.append({"role": "user", "content": blocks})

    async def answer(self, run_tool: Any, **settings: Any) -> list[Turn]:
        """Turns until the answer (at most four: three rounds of tools, then the answer)."""
        turns = [await self.turn()]
        while turns[-1].tool_uses:
            assert len(turns) < 4, [t.calls for t in turns]
            await self.run(turns[-1], run_tool, **settings)
            turns.append(await self.turn())
        final = turns[-1]
        assert final.end.stop_reason == "end_turn"
        assert final.end.content == [{"type": "text", "text": final.text}]
        assert not CLAIMS.search(final.text), final.text
        return turns


def first_text_index(turn: Turn) -> int:
    return next(i for i, e in enumerate(turn.events) if isinstance(e, TextDelta))


# ---------------------------------------------------------------------------------------
# Understanding questions: the first round of tools, and the language of the reply.

INTENTS: list[tuple[str, str, set[str]]] = [
    ("Is the disk full?", "en", {"get_disk_usage"}),
    ("how much disk space is left", "en", {"get_disk_usage"}),
    ("No space left on / - what takes the space?", "en", {"get_disk_usage", "get_disk_usage:/"}),
    ("we ran out of inodes", "en", {"get_disk_usage"}),
    ("is the dsik full", "en", {"get_disk_usage"}),
    ("what is using all the memory?", "en", {"get_memory_status"}),
    ("is the server swapping?", "en", {"get_memory_status"}),
    ("was anything OOM killed?", "en", {"get_memory_status"}),
    ("memroy usage", "en", {"get_memory_status"}),
    ("why is nginx down?", "en", {"get_service_status:nginx", "get_logs:nginx:error", "list_apps"}),
    ("why is crashy down", "en", {"get_service_status:crashy", "get_logs:crashy"}),
    ("the worker service keeps crashing", "en", {"get_service_status:worker", "get_logs:worker"}),
    ("restart crashy", "en", {"get_service_status:crashy", "get_logs:crashy"}),
    ("are any services failing?", "en", {"list_services"}),
    ("my site returns 502 Bad Gateway", "en", {"list_apps"}),
    (
        "shop.example.com is not responding",
        "en",
        {"list_apps", "get_nginx_config:shop.example.com"},
    ),
    ("nignx config for shop.example.com", "en", {"list_apps", "get_nginx_config:shop.example.com"}),
    ("when does the SSL certificate expire?", "en", {"list_apps"}),
    ("check the certificate of shop.example.com", "en", {"get_ssl_status:shop.example.com"}),
    ("show me the errors in /var/log/syslog", "en", {"get_logs:/var/log/syslog"}),
    ("show crashy logs", "en", {"get_logs:crashy"}),
    ("nginx error log", "en", {"get_logs:nginx:error"}),
    ("the server is slow", "en", {"get_system_overview", "get_memory_status", "get_disk_usage"}),
    ("high CPU load", "en", {"get_system_overview", "get_memory_status", "get_disk_usage"}),
    ("what runs on this server?", "en", {"list_apps", "list_services"}),
    (
        "is everything ok?",
        "en",
        {
            "get_disk_usage",
            "get_memory_status",
            "get_system_overview",
            "list_services",
            "list_apps",
        },
    ),
    (
        "health check please",
        "en",
        {
            "get_disk_usage",
            "get_memory_status",
            "get_system_overview",
            "list_services",
            "list_apps",
        },
    ),
    ("le disque est plein", "fr", {"get_disk_usage"}),
    ("plus d'espace disque sur /var", "fr", {"get_disk_usage", "get_disk_usage:/var"}),
    ("la mémoire est saturée", "fr", {"get_memory_status"}),
    ("LA MEMOIRE EST PLEINE", "fr", {"get_memory_status"}),
    (
        "pourquoi nginx est arrêté ?",
        "fr",
        {"get_service_status:nginx", "get_logs:nginx:error", "list_apps"},
    ),
    ("pourquoi crashy est en panne ?", "fr", {"get_service_status:crashy", "get_logs:crashy"}),
    ("le service crashy ne démarre plus", "fr", {"get_service_status:crashy", "get_logs:crashy"}),
    ("mon site ne répond plus", "fr", {"list_apps"}),
    ("le certificat de shop.example.com expire quand ?", "fr", {"get_ssl_status:shop.example.com"}),
    ("les certificats SSL vont-ils expirer ?", "fr", {"list_apps"}),
    ("montre les journaux de crashy", "fr", {"get_logs:crashy"}),
    ("Erreurs dans /var/log/nginx/error.log", "fr", {"get_logs:/var/log/nginx/error.log"}),
    ("le serveur est lent", "fr", {"get_system_overview", "get_memory_status", "get_disk_usage"}),
    ("ÇA RAME !!", "fr", {"get_system_overview", "get_memory_status", "get_disk_usage"}),
    ("qu'est-ce qui tourne sur ce serveur ?", "fr", {"list_apps", "list_services"}),
    (
        "état du serveur",
        "fr",
        {
            "get_disk_usage",
            "get_memory_status",
            "get_system_overview",
            "list_services",
            "list_apps",
        },
    ),
    (
        "est-ce que tout va bien ?",
        "fr",
        {
            "get_disk_usage",
            "get_memory_status",
            "get_system_overview",
            "list_services",
            "list_apps",
        },
    ),
    ("des services en échec ?", "fr", {"list_services"}),
]


def test_the_intent_table_covers_both_languages() -> None:
    assert len(INTENTS) >= 30
    assert {lang for _, lang, _ in INTENTS} == {"en", "fr"}


@pytest.mark.parametrize(("question", "lang", "expected"), INTENTS, ids=[q for q, _, _ in INTENTS])
async def test_first_round_calls_the_tools_the_question_needs(
    question: str, lang: str, expected: set[str]
) -> None:
    turn = await Conversation(question).turn()
    assert turn.calls == expected
    assert turn.end.stop_reason == "tool_use"
    opening = "Je regarde" if lang == "fr" else "I'll look at"
    assert turn.text.startswith(opening), turn.text


async def test_first_turn_says_what_it_will_look_at_then_asks_for_tools() -> None:
    turn = await Conversation("why is crashy down?").turn()
    assert isinstance(turn.events[0], TextDelta)
    assert turn.text == "I'll look at the status of crashy and the logs of crashy.\n\n"
    uses = turn.tool_uses
    assert [(u.id, u.name, u.input) for u in uses] == [
        ("offline_1", "get_service_status", {"service": "crashy"}),
        ("offline_2", "get_logs", {"source": "crashy", "lines": 50}),
    ]
    assert turn.end.content == [
        {"type": "text", "text": turn.text},
        *({"type": "tool_use", "id": u.id, "name": u.name, "input": u.input} for u in uses),
    ]


async def test_log_questions_filter_errors_and_time_when_asked() -> None:
    turn = await Conversation("errors in the logs of worker over the last 2 hours").turn()
    assert [u.input for u in turn.tool_uses] == [
        {"source": "worker", "lines": 100, "grep": "error", "since": "2h"}
    ]


async def test_tools_not_offered_are_not_called() -> None:
    without_logs = [t for t in CATALOG if t.name != "get_logs"]
    turn = await Conversation("why is crashy down?", tools=without_logs).turn()
    assert turn.calls == {"get_service_status:crashy"}


async def test_with_no_tool_offered_it_says_it_could_not_look() -> None:
    turn = await Conversation("is the disk full?", tools=[]).turn()
    assert turn.end.stop_reason == "end_turn" and not turn.tool_uses
    assert "No server tool is available" in turn.text


async def test_ids_stay_unique_when_a_conversation_continues() -> None:
    earlier = Conversation("why is crashy down?")
    await earlier.turn()
    earlier.messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": f"offline_{n}", "content": "x"}
                for n in (1, 2)
            ],
        }
    )
    earlier.messages.append({"role": "assistant", "content": [{"type": "text", "text": "done"}]})
    turn = await Conversation("is the disk full?", history=earlier.messages).turn()
    assert [u.id for u in turn.tool_uses] == ["offline_3"]
    assert turn.calls == {"get_disk_usage"}  # the earlier question is not asked again


# ---------------------------------------------------------------------------------------
# Answers from real tool results.


async def test_disk_answer_quotes_the_real_figures(run_tool: Any) -> None:
    conversation = Conversation("Is the disk full?")
    turns = await conversation.answer(run_tool)
    disk = next(iter(conversation.results.values()))
    assert disk["ok"]
    answer = turns[-1].text
    assert answer.startswith("**No problem found** in what I looked at (disk usage).")
    assert disk["summary"] in answer
    assert "**What I suggest**" in answer and not turns[-1].findings


async def test_a_full_filesystem_leads_to_a_look_at_what_fills_it(run_tool: Any) -> None:
    # Any real filesystem is "full" at a 0.01% threshold: the second round scans it.
    limits = CheckThresholds(disk_warning_percent=0.01, disk_critical_percent=0.02)
    conversation = Conversation("disque plein ?", provider=OfflineProvider(thresholds=limits))
    first = await conversation.turn()
    await conversation.run(first, run_tool)
    second = await conversation.turn()
    disk = next(iter(conversation.results.values()))
    fullest = max(disk["filesystems"], key=lambda fs: fs["used_percent"])
    assert second.calls == {f"get_disk_usage:{fullest['mountpoint']}"}
    assert second.text.startswith(f"{fullest['mountpoint']} se remplit : je regarde")


async def test_memory_findings_come_from_the_check_analyzers(run_tool: Any) -> None:
    limits = CheckThresholds(memory_warning_percent=0.01, memory_critical_percent=100)
    conversation = Conversation("what is using all the memory?", provider=OfflineProvider(limits))
    turns = await conversation.answer(run_tool)
    memory = next(iter(conversation.results.values()))
    expected = analyzers.analyze_memory(memory, limits)
    final = turns[-1]
    assert [f.title for f in final.findings] == [f.title for f in expected]
    assert final.findings[0].severity == "warning"
    assert first_text_index(final) == len(final.findings)  # findings before the prose
    top = memory["top_consumers"][0]
    assert f"{top['name']} (pid {top['pid']})" in final.text


@pytest.mark.supervisor
async def test_a_failed_service_leads_to_its_status_and_logs_and_a_restart_proposal(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    conversation = Conversation("are any services down?")
    turns = await conversation.answer(run_tool, **supervisor.settings)
    assert [t.calls for t in turns[:2]] == [
        {"list_services"},
        {"get_service_status:crashy", "get_logs:crashy"},
    ]
    assert turns[1].text.startswith("crashy has failed: next, the status of crashy")
    final = turns[-1]
    crashy = [f for f in final.findings if f.title == "service crashy has failed"]
    assert len(crashy) == 1
    assert crashy[0].severity == "critical"
    assert crashy[0].fix == {"tool": "restart_failed_service", "arguments": {"service": "crashy"}}
    assert any(CRASHY_STDERR_LINE in line for line in crashy[0].evidence)
    answer = final.text
    assert answer.startswith("**1 problem found**: service crashy has failed.")
    assert CRASHY_STDERR_LINE in answer
    assert "cannot reach something it depends on (127.0.0.1:5999)" in answer
    assert (
        '`restart_failed_service(service="crashy")` — sfai can run this after your approval '
        "(in act mode)." in answer
    )


@pytest.mark.supervisor
async def test_a_french_question_gets_a_french_answer(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    conversation = Conversation("pourquoi crashy est arrêté ?")
    turns = await conversation.answer(run_tool, **supervisor.settings)
    assert turns[0].text == "Je regarde l'état de crashy et les journaux de crashy.\n\n"
    answer = turns[-1].text
    assert answer.startswith("**1 problème trouvé** : le service crashy est en échec.")
    for heading in ("**Constats**", "**Ce que j'ai regardé**", "**Ce que je propose**"):
        assert heading in answer
    for english in ("**Findings**", "What I suggest", "sfai can run this", "I looked at"):
        assert english not in answer
    assert "- **critique** — le service crashy est en échec" in answer
    assert "ce que cela indique : un programme n'arrive pas à joindre une dépendance" in answer
    assert "1. Vérifier que la dépendance (127.0.0.1:5999) tourne et écoute" in answer
    assert (
        '`restart_failed_service(service="crashy")` — sfai peut le lancer après votre accord '
        "(en mode act)." in answer
    )


@pytest.mark.supervisor
async def test_asking_to_restart_is_answered_with_a_proposal_not_an_action(
    run_tool: Any, supervisor: SupervisorInstance
) -> None:
    turns = await Conversation("restart worker").answer(run_tool, **supervisor.settings)
    answer = turns[-1].text
    assert all(u.name in {"get_service_status", "get_logs"} for t in turns for u in t.tool_uses)
    assert "**No problem found**" in answer
    assert (
        'You asked for it: `restart_service(service="worker")` — sfai can run this after your '
        "approval (in act mode)." in answer
    )
    assert supervisor.states()["worker"] == "RUNNING"


@pytest.mark.nginx
async def test_an_expiring_certificate_is_found_with_a_renewal_proposal(
    run_tool: Any, nginx_server: NginxServer
) -> None:
    conversation = Conversation("when do my certificates expire?")
    settings = {**nginx_server.settings, **NO_MANAGERS}
    turns = await conversation.answer(run_tool, **settings)
    assert turns[0].calls == {"list_apps"}
    assert turns[1].calls == {"get_ssl_status:valid.sfai.test", "get_ssl_status:expiring.sfai.test"}
    assert turns[1].text.startswith(
        "2 TLS site(s) found: next, the certificates of valid.sfai.test and expiring.sfai.test."
    )
    final = turns[-1]
    assert [(f.severity, f.title) for f in final.findings] == [
        ("critical", "certificate for expiring.sfai.test expires in 3 days")
    ]
    assert final.findings[0].fix == {
        "tool": "renew_certificate",
        "arguments": {"domain": "expiring.sfai.test", "dry_run": True},
    }
    answer = final.text
    assert answer.startswith(
        "**1 problem found**: certificate for expiring.sfai.test expires in 3 days."
    )
    assert str(nginx_server.certificates["expiring.sfai.test"]) in answer
    assert "valid.sfai.test: certificate expires in 90 days" in answer
    assert '`renew_certificate(domain="expiring.sfai.test", dry_run=true)`' in answer


@pytest.mark.nginx
async def test_a_502_points_at_the_backend_nothing_listens_on(
    run_tool: Any, nginx_config_copy: NginxConfigCopy
) -> None:
    port = free_port()
    nginx_config_copy.add_conf(
        "shop.conf",
        "server {\n    listen 127.0.0.1:8081;\n    server_name shop.sfai.test;\n"
        f"    location / {{ proxy_pass http://127.0.0.1:{port}; }}\n}}\n",
    )
    conversation = Conversation("shop.sfai.test returns 502 Bad Gateway")
    settings = {**nginx_config_copy.settings, **NO_MANAGERS}
    turns = await conversation.answer(run_tool, **settings)
    assert turns[0].calls == {"list_apps", "get_nginx_config:shop.sfai.test"}
    titles = [f.title for f in turns[-1].findings]
    assert (
        f"shop.sfai.test: nothing listens on 127.0.0.1:{port} (proxy_pass http://127.0.0.1:{port})"
        in titles
    )
    answer = turns[-1].text
    assert f"Start the app that should listen on 127.0.0.1:{port}, or fix proxy_pass in" in answer
    assert f"upstreams http://127.0.0.1:{port}" in answer  # from get_nginx_config


# ---------------------------------------------------------------------------------------
# Piped text.


def nginx_error_lines(port: int) -> str:
    refused = (
        "2026/11/24 14:03:{s:02d} [error] 1234#1234: *{n} connect() failed (111: Connection "
        "refused) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, "
        'request: "GET /{path} HTTP/1.1", upstream: "http://127.0.0.1:{port}/{path}", '
        'host: "shop.example.com"'
    )
    lines = [
        "2026/11/24 14:02:58 [notice] 1234#1234: signal process started",
        refused.format(s=1, n=5, path="", port=port),
        "2026/11/24 14:03:02 [notice] 1234#1234: using inherited sockets",
        refused.format(s=3, n=6, path="cart", port=port),
        refused.format(s=9, n=7, path="checkout", port=port),
    ]
    return "\n".join(lines) + "\n"


async def test_piped_connection_refused_is_explained_and_checked_on_the_host(
    run_tool: Any,
) -> None:
    port = free_port()
    conversation = Conversation("why does it fail?", piped=nginx_error_lines(port))
    turns = await conversation.answer(run_tool, **NO_MANAGERS)
    assert turns[0].text.startswith("I'll look at the text you piped in and what runs here")
    assert turns[0].calls == {"list_apps"}  # what the lines point to, not a whole health check
    final = turns[-1]
    assert [(f.severity, f.title) for f in final.findings] == [
        ("critical", "nginx's backend refuses connections (piped text: 3 line(s))")
    ]
    assert f"target: http://127.0.0.1:{port}" in final.findings[0].evidence
    answer = final.text
    assert "3 of 5 line(s) look like problems (3 error, 3 refused)" in answer
    assert "checkout HTTP/1.1" in answer  # the most recent line is quoted
    assert f"nginx cannot reach the backend it forwards to (http://127.0.0.1:{port})" in answer
    assert "502 Bad Gateway" in answer
    assert f"right now nothing listens on port {port} on this host" in answer
    assert f"Start the app that should listen on http://127.0.0.1:{port}" in answer


async def test_piped_disk_and_memory_errors_lead_to_those_tools(run_tool: Any) -> None:
    piped = (
        "Nov 24 14:01:02 web kernel: Out of memory: Killed process 4242 (java)\n"
        "Nov 24 14:02:03 web app[88]: write failed: No space left on device\n"
        "Nov 24 14:02:04 web app[88]: retrying\n"
    )
    conversation = Conversation("pourquoi ça plante ?", piped=piped)
    turns = await conversation.answer(run_tool)
    assert turns[0].calls == {"get_disk_usage", "get_memory_status"}
    answer = turns[-1].text
    assert "la mémoire a manqué" in answer and "un système de fichiers est plein" in answer
    assert "2 ligne(s) sur 3 signalent un problème" in answer


async def test_piped_text_alone_is_read_without_tools() -> None:
    piped = "GET / 200\nGET /favicon.ico 404\n"
    turn = await Conversation("what does this say?", piped=piped).turn()
    assert not turn.tool_uses and turn.end.stop_reason == "end_turn"
    assert "2 line(s), none with an error, warning or failure" in turn.text


# ---------------------------------------------------------------------------------------
# Honesty.

OUT_OF_SCOPE = [
    ("write me a bash script to rotate logs", "en", "It does not write scripts"),
    ("what is Kubernetes?", "en", "I can't answer that offline"),
    ("why did my deploy fail last Tuesday?", "en", "It cannot see deployments"),
    ("écris-moi un script python", "fr", "Il n'écrit ni scripts"),
]


@pytest.mark.parametrize(("question", "lang", "reason"), OUT_OF_SCOPE)
async def test_out_of_scope_questions_get_an_honest_answer(
    question: str, lang: str, reason: str
) -> None:
    turn = await Conversation(question).turn()
    assert not turn.tool_uses and not turn.findings
    assert turn.end.stop_reason == "out_of_scope"
    text = turn.text
    assert reason in text
    assert "ANTHROPIC_API_KEY" in text and "--provider anthropic" in text
    assert "--provider openai" in text
    capabilities = "les certificats TLS" if lang == "fr" else "TLS certificates and their expiry"
    assert capabilities in text
    assert not CLAIMS.search(text)


async def test_results_without_structure_still_give_an_answer(run_tool: Any) -> None:
    conversation = Conversation("is the disk full?")
    first = await conversation.turn()
    await conversation.run(first, run_tool)
    conversation.results.clear()  # an engine that passes text only
    final = await conversation.turn()
    assert final.end.stop_reason == "end_turn"
    assert "`get_disk_usage()`:" in final.text


async def test_the_answer_comes_after_three_rounds_at_most() -> None:
    conversation = Conversation("is everything ok?")
    for _ in range(3):
        conversation.messages.append(
            {"role": "assistant", "content": [{"type": "text", "text": "."}]}
        )
    turn = await conversation.turn()
    assert not turn.tool_uses and turn.end.stop_reason == "end_turn"


# ---------------------------------------------------------------------------------------
# French renderings of the analyzers' sentences, on findings from real results.


@pytest.mark.nginx
@pytest.mark.supervisor
async def test_every_analyzer_sentence_seen_here_has_a_french_rendering(
    run_tool: Any,
    nginx_server: NginxServer,
    supervisor: SupervisorInstance,
    broken_nginx_config: NginxConfigCopy,
) -> None:
    zero = CheckThresholds(
        disk_warning_percent=0,
        inode_warning_percent=0,
        memory_warning_percent=0,
        load_warning_per_cpu=0,
        cert_warning_days=100,
    )
    disk = await run_tool("get_disk_usage", {})
    memory = await run_tool("get_memory_status", {})
    overview = await run_tool("get_system_overview", {})
    services = await run_tool("list_services", {}, **supervisor.settings)
    ssl = await run_tool(
        "get_ssl_status", {"domain": "expiring.sfai.test"}, **nginx_server.settings
    )
    broken = await run_tool("list_apps", {}, **broken_nginx_config.settings, **NO_MANAGERS)
    mount = disk["filesystems"][0]["mountpoint"]
    filling = {mount: disk["filesystems"][0]["free_bytes"] / 86_400}  # full in a day
    calm = CheckThresholds(disk_warning_percent=100, disk_critical_percent=100)
    found = [
        *analyzers.analyze_disk(disk, zero, {}),
        *analyzers.analyze_disk(disk, calm, filling),
        *analyzers.analyze_memory(memory, zero),
        *analyzers.analyze_load(overview, zero),
        *analyzers.analyze_services(services),
        *analyzers.analyze_certificate(ssl, zero),
        *analyzers.analyze_nginx(broken),
    ]
    assert any("will be full in about" in f.title for f in found)
    checks = {f.check for f in found}
    assert {"disk", "inodes", "memory", "load", "services", "certificates", "nginx"} <= checks
    for finding in found:
        assert translate("fr", finding.title) != finding.title, finding.title
        assert translate("fr", finding.next_step) != finding.next_step, finding.next_step
