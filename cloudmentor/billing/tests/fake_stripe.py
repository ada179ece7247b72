"""A local stand-in for the few Stripe endpoints the platform uses, for tests and journeys.

- ``POST /v1/checkout/sessions`` and ``GET /v1/checkout/sessions/<id>`` answer like Stripe's API
  (the real ``stripe`` library talks to it through ``BILLING_STRIPE_API_BASE``);
- ``GET /pay/<id>`` is the hosted payment page; ``POST /pay/<id>`` "pays": it marks the session
  paid, posts the signed ``checkout.session.completed`` webhook to the platform (as many
  times as ``deliveries`` says) and redirects the browser to the session's ``success_url``.

Webhook signatures are built exactly as Stripe builds them: header
``t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SECRET_KEY = "sk_test_fake_platform_key"
WEBHOOK_SECRET = "whsec_fake_platform_secret"


def signature_header(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class FakeStripe:
    """The fake's state; tests change `deliveries`, `amount_override`, `currency_override`."""

    webhook_url: str = ""
    webhook_secret: str = WEBHOOK_SECRET
    deliveries: int = 1
    amount_override: int | None = None
    currency_override: str | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # API ---------------------------------------------------------------------------------

    def session_create(self, form: dict[str, list[str]]) -> dict[str, Any]:
        def one(key: str, default: str = "") -> str:
            return form.get(key, [default])[0]

        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": one("mode"),
            "url": f"{self.base}/pay/{session_id}",
            "amount_total": int(one("line_items[0][price_data][unit_amount]", "0"))
            * int(one("line_items[0][quantity]", "1")),
            "currency": one("line_items[0][price_data][currency]"),
            "client_reference_id": one("client_reference_id"),
            "metadata": {"invoice_id": one("metadata[invoice_id]")},
            "customer_email": one("customer_email"),
            "description": one("line_items[0][price_data][product_data][name]"),
            "success_url": one("success_url"),
            "cancel_url": one("cancel_url"),
            "payment_status": "unpaid",
            "status": "open",
        }
        with self.lock:
            self.sessions[session_id] = session
        return session

    def pay(self, session_id: str) -> dict[str, Any]:
        """Mark a session paid (with the overrides a test asked for) and return it."""
        with self.lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            session["status"] = "complete"
            if self.amount_override is not None:
                session["amount_total"] = self.amount_override
            if self.currency_override is not None:
                session["currency"] = self.currency_override
            return dict(session)

    def event_payload(self, session_id: str) -> bytes:
        session = self.sessions[session_id]
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": session},
        }
        return json.dumps(event).encode()

    def signed_event(self, session_id: str) -> tuple[bytes, str]:
        payload = self.event_payload(session_id)
        return payload, signature_header(payload, self.webhook_secret)

    def deliver(self, session_id: str, times: int | None = None) -> list[int]:
        """POST the signed webhook to the platform `times` times; return the statuses."""
        statuses = []
        for _attempt in range(self.deliveries if times is None else times):
            payload, header = self.signed_event(session_id)
            request = urllib.request.Request(
                self.webhook_url,
                data=payload,
                method="POST",
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        self.webhook_statuses += statuses
        return statuses

    # Server --------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: Any) -> None:
                self._send(status, json.dumps(data).encode(), "application/json", {"Request-Id": "req_fake"})

            def _form(self) -> dict[str, list[str]]:
                length = int(self.headers.get("Content-Length") or 0)
                return parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {SECRET_KEY}":
                    return True
                self._json(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
                return False

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                fake.requests.append(("POST", path))
                if path == "/v1/checkout/sessions":
                    if self._authorized():
                        self._json(200, fake.session_create(self._form()))
                    return
                if path.startswith("/pay/"):
                    session_id = path.removeprefix("/pay/")
                    if session_id not in fake.sessions:
                        self._send(404, b"unknown session", "text/plain")
                        return
                    session = fake.pay(session_id)
                    fake.deliver(session_id)
                    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                    self._send(303, b"", "text/plain", {"Location": target})
                    return
                self._json(404, {"error": {"message": "unknown endpoint"}})

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                fake.requests.append(("GET", path))
                if path.startswith("/v1/checkout/sessions/"):
                    if not self._authorized():
                        return
                    session = fake.sessions.get(path.rsplit("/", 1)[1])
                    if session is None:
                        self._json(404, {"error": {"type": "invalid_request_error", "message": "No such session"}})
                        return
                    self._json(200, session)
                    return
                if path.startswith("/pay/"):
                    session = fake.sessions.get(path.removeprefix("/pay/"))
                    if session is None:
                        self._send(404, b"unknown session", "text/plain")
                        return
                    amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
                    page = (
                        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Fake Stripe Checkout</title></head>"
                        f"<body><h1>Fake Stripe Checkout</h1><p id='amount'>{html.escape(amount)}</p>"
                        f"<p>{html.escape(session['description'])}</p>"
                        f"<form method='post' action='/pay/{session['id']}'><button type='submit'>Payer {html.escape(amount)}</button></form>"
                        f"<p><a href='{html.escape(session['cancel_url'])}'>Annuler</a></p></body></html>"
                    )
                    self._send(200, page.encode(), "text/html; charset=utf-8")
                    return
                self._json(404, {"error": {"message": "unknown endpoint"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
