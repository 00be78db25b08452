"""Helpers of the ledger suites: a proxy in front of anvil that the tests slow down or cut."""

from __future__ import annotations

import http.server
import urllib.request
from typing import ClassVar


class ForwardingNode(http.server.BaseHTTPRequestHandler):
    """Passes a JSON-RPC body on to `upstream` and its answer back; subclasses decide when."""

    upstream: ClassVar[str] = ""

    def forward(self, body: bytes) -> None:
        request = urllib.request.Request(self.upstream, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            answer = resp.read()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the gateway stopped waiting

    def log_message(self, *args: object) -> None:
        return
