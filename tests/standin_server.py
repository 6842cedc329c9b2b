"""A stand-in OpenAI-compatible chat server on 127.0.0.1 for offline tests of ``safetywashing run``.

It answers ``POST .../chat/completions`` (what Inspect's ``openai-api/<service>/<model>`` and ``vllm/<model>``
providers send) with ``answer(model, prompt)``: the caller decides, per model name and prompt, what the "model"
says, so a test can plant a known relation between a model's score on a task and its panel capability. Every
request is counted (``server.calls``). Standard library only; one daemon thread.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def unit_hash(*parts: str) -> float:
    """A fixed pseudo-random number in [0, 1) from strings (same on every machine and run)."""
    h = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # Inspect opens many connections at once; a short backlog makes it retry with backoff

    def __init__(self, answer: Callable[[str, str], str], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.answer = answer
        self.calls = 0
        self.lock = threading.Lock()
        self.fail_models: set[str] = set()  # models answered with HTTP 400 (an eval that fails)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    def start(self) -> StandinServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: StandinServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, code: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        model = str(body.get("model", ""))
        with self.server.lock:
            self.server.calls += 1
        if model in self.server.fail_models:
            self._send(400, {"error": {"message": f"stand-in refuses model {model}", "type": "invalid_request_error"}})
            return
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        text = self.server.answer(model, prompt)
        self._send(200, {
            "id": "standin", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        })
