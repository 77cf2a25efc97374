import json


async def test_smoke(nginx_server, run_tool):
    for d in ["plain.sfai.test", "valid.sfai.test", "expiring.sfai.test", "nope.sfai.test"]:
        r = await run_tool("get_nginx_config", {"domain": d}, **nginx_server.settings)
        print(json.dumps(r, indent=1)[:2500])
    for d in ["valid.sfai.test", "expiring.sfai.test", "plain.sfai.test"]:
        r = await run_tool("get_ssl_status", {"domain": d}, **nginx_server.settings)
        print(json.dumps(r, indent=1)[:4000])
    r = await run_tool("list_apps", {}, **nginx_server.settings)
    print(json.dumps(r, indent=1)[:4000])
    print(nginx_server)
