"""Request hygiene: bounded bodies, security headers, rate limits, CSRF checks.

Pure ASGI middleware (not Starlette's BaseHTTPMiddleware) so that it adds microseconds, not a
task per request, to the hot read paths.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Content Security Policy: nothing from elsewhere, no inline script or style, no framing.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SecurityMiddleware:
    """Refuses bodies over ``max_body`` bytes (413) and adds security headers to every answer.

    Args:
        app: the wrapped ASGI app.
        max_body: largest request body in bytes (declared or streamed).
        hsts: add Strict-Transport-Security (only behind HTTPS).
    """

    def __init__(self, app: ASGIApp, max_body: int = 64 * 1024, hsts: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _too_large(send)
                return
        seen = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.headers
            await send(message)

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error":{"code":"body_too_large","message":"request body too large"}}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Sliding-window limits per key (e.g. ``login:<ip>``, ``write:<user>``), in process memory.

    Args:
        limits: bucket name -> (requests, window seconds).
    """

    def __init__(self, limits: dict[str, tuple[int, float]]) -> None:
        self.limits = limits
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str) -> float | None:
        """Count one request; None when within the limit, else the seconds until one frees up."""
        count, window = self.limits[bucket]
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(f"{bucket}:{key}", deque())
            while q and q[0] <= now - window:
                q.popleft()
            if len(q) >= count:
                return q[0] + window - now
            q.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of distinct keys
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
            return None


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token and the one a form sent."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
