"""The admin web app in a real Chromium, against `briefing serve` and a real Celery worker
over Redis: what the people who run the briefing do in a day, and what a viewer cannot do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from briefing.core.models import AdminRole
from tests.support.admin import PASSWORD, make_user
from tests.support.browser import RunningAdmin
from tests.support.worker import wait_for

pytestmark = pytest.mark.timeout(300)
STORY = ("Harbour ferry returns after repairs\n\n"
         "The harbour ferry sails again on Monday after six weeks of repairs to its engines. "
         "Tickets cost the same as before, the operator said on Friday. "
         "The mayor welcomed the return of the service, which carries 3,000 people a day. "
         "Cyclists will again be allowed on the early crossings. "
         "A second boat is due next spring.")
EDITED = "The ferry is back on Monday, fares unchanged."


def readers_csv() -> bytes:
    rows = ["email,name"] + [f"reader{n:04d}@example.com,Reader {n}" for n in range(997)]
    rows[100:100] = ["not-an-address,Broken"]
    rows[500:500] = [",No address"]
    rows[900:900] = ["bad@@example.com,Doubled"]
    return ("\n".join(rows) + "\n").encode()


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/admin/lists")
    assert "/admin/login" in page.url  # signed out: sent to sign in first
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/admin/lists")


def create_list(page: Any) -> None:
    page.get_by_role("link", name="New list").click()
    page.get_by_label("Slug").fill("morning")
    page.get_by_label("Name", exact=True).fill("Morning <b>Brief</b>")
    page.get_by_label("From address").fill("news@example.org")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create list").click()
    page.get_by_text("The list was created.").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Morning <b>Brief</b>"


def import_readers(page: Any) -> None:
    page.get_by_label(re.compile(r"^CSV file")).set_input_files(
        {"name": "sign-up sheet.csv", "mimeType": "text/csv", "buffer": readers_csv()})
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/admin/imports/\d+$"))
    assert page.locator("progress").count() == 1  # the progress bar, while it runs
    # The page refreshes itself (admin.js) until the worker is done: no reload here.
    report = page.locator("#import-report")
    report.wait_for(timeout=60_000)
    text = page.locator("section.card").inner_text()
    assert "1,000 rows read" in text and "997 added" in text and "3 rejected" in text
    lines = page.locator("tbody tr td.num").all_inner_texts()
    assert lines == ["101", "501", "901"]  # the header is line 1


def add_and_edit_article(page: Any, url: str) -> None:
    page.goto(f"{url}/admin/articles/new")
    page.get_by_label("Or the text").fill(STORY)
    page.get_by_role("button", name="Add article").click()
    page.wait_for_url(re.compile(r"/admin/articles/\d+"))
    article_url = page.url.split("?")[0]

    def summarized() -> bool:
        page.goto(article_url)
        return page.locator(".status").first.inner_text() == "summarized"
    wait_for(summarized, timeout=60, what="the worker to summarize the article")
    page.get_by_role("textbox", name=re.compile(r"^Summary")).fill(EDITED)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    assert page.get_by_role("textbox", name=re.compile(r"^Summary")).input_value() == EDITED


def send_test_copy(page: Any, url: str, admin: RunningAdmin) -> None:
    page.goto(f"{url}/admin/lists/morning/edition")
    assert page.frame_locator("iframe").first.get_by_text(EDITED).count() == 1  # as mailed
    page.get_by_role("button", name="Send a test copy to chief@example.org").click()
    page.get_by_text("A test copy went to chief@example.org").wait_for()
    copies = admin.smtp.recorder.to("chief@example.org")
    assert len(copies) == 1 and copies[0].message["Subject"].startswith("[test] ")
    assert EDITED in copies[0].message.get_body(("plain",)).get_content()


def send_and_watch(page: Any, url: str, admin: RunningAdmin) -> None:
    page.get_by_role("button", name="Send now to every reader").click()
    page.wait_for_url(re.compile(r"/admin/editions/\d+$"))
    page.goto(f"{url}/admin")
    today = page.locator('#editions-live tr[data-list="morning"][data-day="today"]')
    # The dashboard follows the edition by itself until every reader has it.
    today.locator("[data-edition-status]", has_text="sent").wait_for(timeout=120_000)
    assert today.locator('[data-count="sent"]').inner_text() == "997"
    assert len({m.recipients[0] for m in admin.smtp.messages}) == 998  # and the test copy


def viewer_cannot_change_anything(browser: Any, url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "val@example.org")
    page.goto(f"{url}/admin/lists/morning")
    for label in ("Import", "Save", "Create list"):
        assert page.get_by_role("button", name=label).count() == 0
    assert page.get_by_label("Name", exact=True).is_disabled()
    page.goto(f"{url}/admin/lists/morning/edition")
    assert page.get_by_role("button", name="Send now to every reader").count() == 0
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    refused = page.request.post(f"{url}/admin/lists/morning/send",
                                form={"csrf_token": token}, headers={"Origin": url})
    assert refused.status == 403 and "may not change" in refused.text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/admin/login"))
    page.goto(f"{url}/admin")
    assert "/admin/login" in page.url
    context.close()


def test_an_admin_runs_a_day_of_the_briefing_in_a_real_browser(
        chromium: Any, running_admin: RunningAdmin) -> None:
    make_user(running_admin.db, "chief@example.org", AdminRole.ADMIN)
    make_user(running_admin.db, "val@example.org", AdminRole.VIEWER)
    url = running_admin.url
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, url, "chief@example.org")
    create_list(page)
    import_readers(page)
    add_and_edit_article(page, url)
    send_test_copy(page, url, running_admin)
    send_and_watch(page, url, running_admin)
    context.close()
    viewer_cannot_change_anything(chromium, url)
