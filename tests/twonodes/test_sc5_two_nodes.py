"""SC-5: two web nodes behind nginx, on one PostgreSQL and one Redis, with no stickiness.

Each step of a journey names the node it goes to (A, then B, then A...), so a cookie, form
cookie, session or throttle written by one node is read by the other at the next request.
The last test ingests both nodes' request-log spools and checks that every request either
node served is recorded exactly once.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from email.header import decode_header, make_header

import pytest
import requests

from cloudmentor.billing.tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from cloudmentor.core.redaction import redact_path, redact_query
from tests.multiprocess.conftest import PASSWORD, Server

from .conftest import Cluster, NodeBrowser

pytestmark = pytest.mark.slow

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ACCESS_LINE = re.compile(r'<\d+> "(\S+) (\S+) HTTP/[\d.]+" (\d{3})$')  # ACCESS_FORMAT of tests/multiprocess


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    """The local stand-in for Stripe; its webhook goes to node B (set once the cluster runs)."""
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def cluster_env(fake_stripe: FakeStripe) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BILLING_STRIPE_API_BASE": fake_stripe.base,
        "BILLING_STRIPE_CHECKOUT_ORIGIN": fake_stripe.base,
        "BILLING_INVOICE_DELAY_DAYS": "0",  # the run issues the invoice at once
        "BILLING_IBAN": "FR76 3000 6000 0112 3456 7890 189",
        "BILLING_SELLER_ADDRESS": "1 rue de la Paix, 75002 Paris",
        "BILLING_SELLER_SIRET": "73282932000074",
    }


def test_sc5_nginx_sends_requests_to_both_nodes_round_robin(cluster: Cluster) -> None:
    marks = [node.access_mark() for node in cluster.nodes]
    front = cluster.front()

    answers = [front.get("/healthz") for _ in range(10)]

    assert [answer.status_code for answer in answers] == [200] * 10
    deadline = time.monotonic() + 10  # gunicorn writes its access line after the response
    while True:
        served = [len(node.workers_since(mark)) for node, mark in zip(cluster.nodes, marks, strict=True)]
        if all(served) or time.monotonic() > deadline:
            break
    assert all(served), f"workers that served, per node: {served}"


def _tokens(text: str) -> dict[str, str]:
    tokens = {}
    if match := _FORM_TOKEN.search(text):
        tokens["form_token"] = match.group(1)
    if match := _CSRF_TOKEN.search(text):
        tokens["csrfmiddlewaretoken"] = match.group(1)
    assert tokens, "the page carries neither a form token nor a CSRF token"
    return tokens


def _users(node: Server, username: str) -> int:
    out = node.shell(
        f"from cloudmentor.accounts.models import User\nprint(User.objects.filter(username={username!r}).count())"
    )
    return int(out.split()[-1])


def _form(browser: NodeBrowser, node: Server, path: str) -> dict[str, str]:
    """Show the form at `path` on `node`; return its tokens."""
    page = browser.on(node).get(path)
    assert page.status_code == 200, f"{path} on {node.base_url} answered {page.status_code}"
    return _tokens(page.text)


def test_sc5_a_member_registers_on_a_and_b_and_is_logged_out_on_both_by_a_logout_on_b(cluster: Cluster) -> None:
    """Register: form shown by A, sent to B; the account page alternates; logout on B, old cookie refused on A."""
    a, b = cluster.nodes
    browser = cluster.browser()

    tokens = _form(browser, a, "/accounts/register/")
    form_cookies = browser.cookies.copy()
    registration = {"email": "ada-sc5@example.org", "password": PASSWORD, "accept_terms": "on"}
    registered = browser.on(b).post("/accounts/register/", {**tokens, **registration, "username": "ada-sc5"})
    assert registered.status_code == 302, registered.text[-2000:]
    pages = [browser.on(node).get("/account/") for node in (a, b, a, b, a, b)]
    assert [page.status_code for page in pages] == [200] * 6
    assert [("Bienvenue ada-sc5" in page.text) for page in pages] == [True] + [False] * 5

    # The used registration form cookie is spent on both nodes (SC-3): replayed on A, no second account.
    replay = NodeBrowser(a.base_url)
    replay.cookies.update(form_cookies)
    replayed = replay.post(
        "/accounts/register/",
        {**tokens, **registration, "username": "ada-sc5-bis", "email": "ada-sc5-bis@example.org"},
    )
    assert replayed.status_code == 303  # the first submission's result, not a second account
    assert _users(b, "ada-sc5") == 1 and _users(b, "ada-sc5-bis") == 0
    old_cookie = NodeBrowser(a.base_url)
    old_cookie.cookies.update(browser.cookies)
    tokens = _form(browser, a, "/account/")
    logged_out = browser.on(b).post("/accounts/logout/", tokens)

    assert logged_out.status_code == 302
    refused = [old_cookie.on(node).get("/account/") for node in (a, b, a, b)]
    assert [page.status_code for page in refused] == [302] * 4
    assert all(page.headers["Location"].startswith("/accounts/login/") for page in refused)


def test_sc5_staff_log_in_on_one_node_and_pass_the_totp_step_on_the_other(cluster: Cluster) -> None:
    """Login form from A, sent to B; the TOTP step shown by A, passed on B; /staff/ then opens on both."""
    a, b = cluster.nodes
    staff = a.staff("grace-sc5")
    browser = cluster.browser()

    tokens = _form(browser, a, "/accounts/login/")
    logged_in = browser.on(b).post("/accounts/login/", {**tokens, "identifier": staff.username, "password": PASSWORD})
    assert logged_in.status_code == 302
    tokens = _form(browser, a, "/accounts/staff/verify/?next=/staff/")
    verified = browser.on(b).post("/accounts/staff/verify/", {**tokens, "token": staff.code(), "next": "/staff/"})
    assert verified.status_code == 302 and verified.headers["Location"] == "/staff/"

    pages = [browser.on(node).get("/staff/") for node in (a, b) * 10]
    assert [page.status_code for page in pages] == [200] * 20

    tokens = _form(browser, a, "/account/")
    assert browser.on(b).post("/accounts/logout/", tokens).status_code == 302
    after = browser.on(a).get("/staff/")
    assert after.status_code == 302 and "/login/" in after.headers["Location"]


def test_sc5_a_throttle_counts_the_attempts_made_on_both_nodes(cluster: Cluster) -> None:
    """5 wrong passwords per account and address: 5 answered alternately by A and B, the 6th refused on either."""
    a, b = cluster.nodes
    a.member("eve-sc5")
    answers = []
    for n, node in enumerate((a, b, a, b, a, b, a)):
        browser = NodeBrowser(node.base_url)
        browser.headers["X-Forwarded-For"] = "198.51.100.5"
        tokens = _form(browser, node, "/accounts/login/")
        answers.append(
            browser.post("/accounts/login/", {**tokens, "identifier": "eve-sc5", "password": f"wrong guess {n}"})
        )

    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 2


def test_sc5_purchase_on_a_stripe_webhook_on_b_lesson_on_a_logout_on_b(
    cluster: Cluster, fake_stripe: FakeStripe
) -> None:
    """Subscribe (form from A, sent to B), pay on A, Stripe's webhook on B, a lesson on A, done on B, logout on B."""
    a, b = cluster.nodes
    fake_stripe.webhook_url = b.url("/billing/webhooks/stripe/")
    a.shell(
        "from cloudmentor.billing.tests.factories import PlanFactory\n"
        "from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory\n"
        "PlanFactory(slug='pro-sc5', name='Pro SC-5', price='49.00', duration_months=3)\n"
        "module = ModuleFactory(course=CourseFactory(slug='kubernetes-sc5', title='Kubernetes SC-5'))\n"
        "LessonFactory(module=module, slug='pods', title='Les pods', position=1)\n"
        "LessonFactory(module=module, slug='services', title='Les services', position=2)\n"
    )
    browser = cluster.browser()

    tokens = _form(browser, a, "/plans/pro-sc5/subscribe/")
    subscribed = browser.on(b).post(
        "/plans/pro-sc5/subscribe/",
        {
            **tokens,
            "plan": "pro-sc5",
            "username": "kim-sc5",
            "email": "kim-sc5@example.org",
            "password": PASSWORD,
            "accept_terms": "on",
            "consent": "on",  # BZ-2
        },
    )
    assert subscribed.status_code == 302 and subscribed.headers["Location"] == "/account/billing/"
    b.manage("billing_run")
    invoice_id = int(
        a.shell(
            "from cloudmentor.billing.models import Invoice\n"
            "print(Invoice.objects.get(customer__user__username='kim-sc5').pk)"
        ).split()[-1]
    )

    # Pay on A: A asks the fake Stripe for a Checkout Session; the fake's webhook reaches B.
    tokens = _form(browser, b, f"/account/billing/invoices/{invoice_id}/")
    checkout = browser.on(a).post(f"/account/billing/invoices/{invoice_id}/checkout/", tokens)
    assert checkout.status_code == 303 and checkout.headers["Location"].startswith(fake_stripe.base + "/pay/")
    paid = requests.post(checkout.headers["Location"], allow_redirects=False, timeout=15)
    assert paid.status_code in (302, 303) and fake_stripe.webhook_statuses == [200]
    status = a.shell(
        f"from cloudmentor.billing.models import Invoice\nprint(Invoice.objects.get(pk={invoice_id}).status)"
    )
    assert status.split()[-1] == "paid"
    back = browser.on(b).get(paid.headers["Location"].replace(a.base_url, ""))
    assert back.status_code == 302
    invoice_page = browser.on(a).get(back.headers["Location"])
    assert "est reçu" in invoice_page.text
    for subject in ("Bienvenue", "Votre facture", "Paiement reçu"):
        cluster.smtp.wait_for(to="kim-sc5@example.org", subject=subject, timeout=30)
    time.sleep(3)  # both task workers poll every second: a second copy would be here by now
    kim = {
        subject: count for (recipient, subject), count in _emails(cluster).items() if recipient == "kim-sc5@example.org"
    }
    assert len(kim) >= 3 and set(kim.values()) == {1}, kim  # welcome, invoice, payment: once each

    # A lesson on A, marked done on B, the next one on A says so once.
    lesson = browser.on(a).get("/courses/kubernetes-sc5/pods/")
    assert lesson.status_code == 200 and "Au programme" in lesson.text
    done = browser.on(b).post(
        "/courses/kubernetes-sc5/pods/complete/", {**_tokens(lesson.text), "next_lesson": "services"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/courses/kubernetes-sc5/services/"
    following = [browser.on(node).get("/courses/kubernetes-sc5/services/") for node in (a, b)]
    assert [page.status_code for page in following] == [200, 200]
    assert ["Leçon terminée" in page.text for page in following] == [True, False]

    # Logout on B: the old cookie opens nothing on A.
    old_cookie = NodeBrowser(a.base_url)
    old_cookie.cookies.update(browser.cookies)
    tokens = _form(browser, a, "/account/")
    assert browser.on(b).post("/accounts/logout/", tokens).status_code == 302
    account, lesson = old_cookie.get("/account/"), old_cookie.get("/courses/kubernetes-sc5/pods/")
    assert account.status_code == 302 and account.headers["Location"].startswith("/accounts/login/")
    assert lesson.status_code == 403 and "Au programme" not in lesson.text  # a paid lesson, for a visitor


def _maintenance(node: Server, code: str) -> str:
    """Run `code` in a shell of `node` with the maintenance services and `now` imported."""
    return node.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from cloudmentor.operations.models import MaintenanceWindow\n"
        "from cloudmentor.operations import services\n"
        "now = timezone.now()\n" + code
    )


def test_sc5_a_maintenance_window_scheduled_on_a_shows_on_b_at_the_next_request(cluster: Cluster) -> None:
    """A window scheduled by a process of A: B's next pages carry the banner; an emergency on A: B answers 503."""
    a, b = cluster.nodes
    a.member("ida-sc5")
    member = cluster.browser()
    tokens = _form(member, b, "/accounts/login/")
    assert (
        member.on(b).post("/accounts/login/", {**tokens, "identifier": "ida-sc5", "password": PASSWORD}).status_code
        == 302
    )
    visitor = NodeBrowser(b.base_url)
    before = [member.on(b).get("/account/"), visitor.get("/")]
    assert [page.status_code for page in before] == [200, 200]
    assert not any('id="maintenance-banner"' in page.text for page in before)

    _maintenance(
        a,
        "window = services.maintenance_window_schedule(window=MaintenanceWindow(starts_at=now + timedelta(hours=1),"
        " ends_at=now + timedelta(hours=2), message_fr='Migration SC-5'), created_by=None)\n",
    )
    after = [member.on(b).get("/account/"), visitor.get("/")]

    assert [page.status_code for page in after] == [200, 200]
    assert all('id="maintenance-banner"' in page.text and "Migration SC-5" in page.text for page in after)

    _maintenance(a, "services.maintenance_window_start_emergency(duration=timedelta(minutes=30), created_by=None)\n")
    closed = visitor.get("/")
    _maintenance(
        a,
        "for window in MaintenanceWindow.objects.all():\n"
        "    if window.state(now) == 'in_progress': services.maintenance_window_end_now(window=window)\n"
        "    elif window.state(now) == 'scheduled': services.maintenance_window_cancel(window=window, cancelled_by=None)\n",
    )
    reopened = visitor.get("/")

    assert closed.status_code == 503
    assert reopened.status_code == 200 and 'id="maintenance-banner"' not in reopened.text


def test_sc5_an_email_asked_on_b_from_a_form_shown_by_a_is_sent_once(cluster: Cluster) -> None:
    """Two task workers (one per node) share the outbox: the recovery email leaves once."""
    a, b = cluster.nodes
    a.member("jo-sc5", email="jo-sc5@example.org")
    browser = cluster.browser()

    tokens = _form(browser, a, "/accounts/password/forgot/")
    sent = browser.on(b).post("/accounts/password/forgot/", {**tokens, "email": "jo-sc5@example.org"})

    assert sent.status_code == 302
    cluster.smtp.wait_for(to="jo-sc5@example.org", timeout=30)
    time.sleep(4)  # both workers poll every second: a second copy would be here by now
    sent = _emails(cluster)
    assert [recipient for recipient, _ in sent].count("jo-sc5@example.org") == 1
    assert {key: count for key, count in sent.items() if count != 1} == {}  # nor any other email twice


def _emails(cluster: Cluster) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every email the SMTP server received, and how many times."""
    return Counter(
        (str(message["X-Envelope-To"]), str(make_header(decode_header(str(message["Subject"])))))
        for message in cluster.smtp.messages
    )


def _served(node: Server) -> Counter[tuple[str, str, str, str]]:
    """(method, path, query, status) of every request the node's gunicorn answered, static files aside."""
    served: Counter[tuple[str, str, str, str]] = Counter()
    for line in node.access_log.read_text().splitlines():
        match = _ACCESS_LINE.match(line)
        assert match, line
        method, target, status = match.groups()
        path, _, query = target.partition("?")
        if not path.startswith("/static/"):
            served[(method, redact_path(path), redact_query(query), status)] += 1
    return served


def test_sc5_every_request_of_both_nodes_is_in_the_request_log_exactly_once(cluster: Cluster) -> None:
    """Each node's spool, ingested on its node (twice, beside the active scheduler's job): one row per request."""
    front = cluster.front()
    for n in range(6):
        assert front.get("/", params={"sc5": str(n)}).status_code == 200

    for node in (cluster.a, cluster.b, cluster.a, cluster.b):
        node.manage("analytics_ingest")
    out = cluster.b.shell(
        "import json\n"
        "from cloudmentor.analytics.models import RequestRecord\n"
        "print(json.dumps(list(RequestRecord.objects.values_list('method', 'path', 'query', 'status'))))"
    )
    recorded = Counter((m, p, q, str(s)) for m, p, q, s in json.loads(out.strip().splitlines()[-1]))
    # Read last: gunicorn writes a request's access line after its response (and its spool line before).
    served = _served(cluster.a) + _served(cluster.b)

    assert served[("GET", "/", "sc5=0", "200")] == 1 and served[("GET", "/", "sc5=5", "200")] == 1
    assert sum(served.values()) > 20
    assert {key: (count, recorded[key]) for key, count in served.items() if recorded[key] != count} == {}
    assert recorded == served
