from typing import Any
import pytest
from tests.test_provider_offline import Conversation, NO_MANAGERS
from tests.fixtures.processes import free_port

@pytest.mark.parametrize("q", ["are any services down?", "pourquoi crashy est arrêté ?", "what runs here?", "show crashy logs"])
async def test_print_sv(run_tool: Any, supervisor: Any, q: str) -> None:
    turns = await Conversation(q).answer(run_tool, **supervisor.settings)
    print("\n\n######", q); [print(t.text) for t in turns]
    for f in turns[-1].findings: print("FINDING", f)

async def test_print_502(run_tool: Any, nginx_config_copy: Any) -> None:
    port = free_port()
    nginx_config_copy.add_conf("shop.conf", "server {\n    listen 127.0.0.1:8081;\n    server_name shop.sfai.test;\n" f"    location / {{ proxy_pass http://127.0.0.1:{port}; }}\n}}\n")
    turns = await Conversation("mon site shop.sfai.test répond 502").answer(run_tool, **nginx_config_copy.settings, **NO_MANAGERS)
    print("\n\n###### 502"); [print(t.text) for t in turns]
