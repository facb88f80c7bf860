"""A new city's first visit: an empty site shows the admin what to set up, in
order, and ticks each step once it is done."""

from __future__ import annotations

import re

from tests.services.test_org_catalogue import line, table
from tests.views.test_organisation import apply, upload


def ticks(html: str) -> list[bool]:
    checklist = html[html.index('<ol class="checklist">') :]
    checklist = checklist[: checklist.index("</ol>")]
    return [mark == "✓" for mark in re.findall(r"<li><span[^>]*>(.)</span>", checklist)]


def test_the_checklist_leads_an_empty_city_to_a_working_site(app, client, login, db):
    login()
    client.set_cookie("lang", "en")
    summary = client.get("/office/").get_data(as_text=True)
    assert ticks(summary) == [False, False, False, False]
    assert 'href="/office/questionnaires"' in summary
    # 1. the catalogue
    apply(client, upload(client, table(line())).get_data(as_text=True))
    assert ticks(client.get("/office/setup").get_data(as_text=True)) == [
        True,
        False,
        False,
        False,
    ]
    halls = client.get("/office/halls")  # no questionnaire yet: said, not a 500
    assert halls.status_code == 200
    assert "Publish a questionnaire first" in halls.get_data(as_text=True)
    # 2. a questionnaire
    client.post("/office/setup/questionnaire")
    again = client.post("/office/setup/questionnaire")  # only once
    assert again.status_code == 302
    # 3. the codes
    assert client.get("/office/halls/H1/poster").status_code == 200
    # 4. users
    client.post("/office/users", data={"username": "an1", "role": "analyst"})
    done = client.get("/office/setup").get_data(as_text=True)
    assert ticks(done) == [True, True, True, True]
    assert "checklist" not in client.get("/office/").get_data(as_text=True)


def test_analysts_are_not_shown_the_checklist(app, client, login, db):
    login("an1", "analyst")
    assert "checklist" not in client.get("/office/").get_data(as_text=True)
