"""A tiny stdio MCP server (one `echo` tool, one resource) for the offline app-server tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ECHO_MCP_SERVER = r"""
import json, sys

def reply(request_id, result=None, error=None):
    message = {"jsonrpc": "2.0", "id": request_id}
    message.update({"error": error} if error else {"result": result})
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()

for line in sys.stdin:
    message = json.loads(line)
    method, request_id = message.get("method"), message.get("id")
    params = message.get("params") or {}
    if request_id is None:
        continue
    if method == "initialize":
        reply(request_id, {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}, "resources": {}},
            "serverInfo": {"name": "echo", "version": "1.0"},
        })
    elif method == "tools/list":
        reply(request_id, {"tools": [{
            "name": "echo",
            "description": "Echo the text back.",
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
        }]})
    elif method == "tools/call":
        text = (params.get("arguments") or {}).get("text")
        reply(request_id, {"content": [{"type": "text", "text": f"echo: {text}"}]})
    elif method == "resources/list":
        reply(request_id, {"resources": [{"uri": "memo://hello", "name": "hello"}]})
    elif method == "resources/templates/list":
        reply(request_id, {"resourceTemplates": []})
    elif method == "resources/read":
        reply(request_id, {"contents": [{"uri": params["uri"], "text": "hello resource"}]})
    elif method == "ping":
        reply(request_id, {})
    else:
        reply(request_id, error={"code": -32601, "message": f"no method {method}"})
"""


def echo_mcp_settings(base: Path) -> dict[str, Any]:
    """Write the echo MCP server under `base`; the config settings that register it."""
    server = base / "mcp_echo.py"
    server.write_text(ECHO_MCP_SERVER, encoding="utf-8")
    return {"mcp_servers.echo.command": sys.executable, "mcp_servers.echo.args": [str(server)]}
