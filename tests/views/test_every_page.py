"""Every page every role reaches by following links, in both languages.

Not a list of URLs: the walk starts at each role's home page and follows every
link and every GET form (with the values the form already holds), over a
database with fieldwork under way: a firm, a project with quotas, interviews,
complaint cases in every state, responses the quality check flagged and
rejected, and index runs. It fails on any 5xx, and on a Chinese page whose
visible text (or what a screen reader reads) holds English words.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import select

from surveyapp.models import Response
from surveyapp.models.complaints import ComplaintCase
from surveyapp.services.complaints.cases import transition
from surveyapp.services.fieldwork import frames, plans
from surveyapp.services.fieldwork.projects import create_firm
from surveyapp.services.indices.runs import publish_run
from surveyapp.services.quality.verdicts import apply_verdict

# Fixtures shared with the other complaint tests.
from tests.complaint_helpers import (  # noqa: F401
    active_model,
    seed_model_path,
    worker_round,
)
from tests.conftest import full_answers, ticket_from
from tests.firm_factories import HALL, firm, hall, item, make_project

PASSWORD = "correct horse battery"
USERS = {
    "admin": ("guanliyuan", "admin", None),
    "analyst": ("fenxiyuan", "analyst", "F1"),
    "firm_manager": ("xiangmujingli", "firm_manager", "F1"),
    "interviewer": ("fangwenyuan", "interviewer", "F1"),
}
HOMES = {
    "anonymous": ["/", "/office/login"],
    "admin": ["/office/"],
    "analyst": ["/office/"],
    "firm_manager": ["/firm/"],
    "interviewer": ["/firm/"],
}
# Pages of one shape (the same path with other ids, other filter values):
# a few of each tell what the rest would.
PER_SHAPE = 3
# Words a Chinese page may hold: codes, file formats, units and the names of
# methods and measures that are written in Latin letters in Chinese too.
ALLOWED = {
    "English",  # the language switch, written in its own language
    "CSV",
    "XLSX",
    "JSON",
    "API",
    "QR",
    "PDF",
    "SVG",
    "PNG",
    "URL",
    "ID",
    "XLSForm",
    "AHP",
    "CR",
    "CI",
    "n",
    "n_eff",
    "deff",
    "p",
    "e",
    "z",
    "s",
    "Likert",
    "SHA",
    "IP",
    "R",
    "Excel",
    "CSS",
    "JavaScript",
    "ODK",
    "KoboToolbox",
    "Cochran",
    "HCP",  # the default questionnaire's code
    # Date formats and the column names of files, as the files spell them.
    "YYYY-MM-DD",
    "YYYY-MM",
    "HH",
    "MM",
    "hall_code",
    "service_item_code",
    "occurred_at",
    "phone",
    "period",
    "volume",
    "month",
    "count",
    "reference",
    "relevant",
    "xlsx",
    "xls",
    "csv",
    "k",  # every k-th: systematic sampling's interval
    *(name for name, _role, _firm in USERS.values()),
}
WORD = re.compile(r"[A-Za-z][A-Za-z_'\-]*[A-Za-z]|[A-Za-z]")
# Codes: letters and digits together (H450900, S450900-re-transfer, F1).
CODE = re.compile(r"\b[A-Za-z]+[0-9][\w\-]*|\b[0-9][\w\-]*[A-Za-z][\w\-]*")


class _Page(HTMLParser):
    """Links, GET forms and the text a person sees or hears on one page."""

    # Not read as page text: scripts, and codes or data being edited.
    SILENT = {"script", "style", "title", "head", "code", "kbd", "samp", "textarea"}
    READ_ATTRS = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.text: list[str] = []
        self.skip_depth = 0
        self.form: tuple[str, list] | None = None
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen: bool = False
        # Elements marked lang="en" (a name's English form beside the Chinese,
        # the English preview) are English on purpose: [tag, lang, depth].
        self.langs: list[list] = []

    def english_here(self) -> bool:
        return bool(self.langs) and self.langs[-1][1].startswith("en")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("translate") == "no":
            a["lang"] = "en"  # a code, not to be translated
        if a.get("lang"):
            self.langs.append([tag, a["lang"], 0])
        elif self.langs and self.langs[-1][0] == tag:
            self.langs[-1][2] += 1
        if tag in self.SILENT:
            self.skip_depth += 1
        for name in self.READ_ATTRS:
            if a.get(name) and not self.english_here():
                self.text.append(a[name])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            self.form = (a.get("action") or "", [])
        elif self.form is not None and tag in ("input", "button") and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.form[1].append((a["name"], a.get("value") or ""))
        elif self.form is not None and tag == "select":
            self.select, self.first_option, self.chosen = a.get("name"), None, False
        elif self.select is not None and tag == "option":
            value = a.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in a and not self.chosen:
                self.form[1].append((self.select, value))
                self.chosen = True
        kind = (a.get("type") or "").lower()
        if tag == "input" and kind in ("submit", "button") and not self.english_here():
            self.text.append(a.get("value") or "")

    def handle_endtag(self, tag):
        if self.langs and self.langs[-1][0] == tag:
            if self.langs[-1][2]:
                self.langs[-1][2] -= 1
            else:
                self.langs.pop()
        if tag in self.SILENT and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "select" and self.select is not None:
            if not self.chosen and self.first_option is not None:
                self.form[1].append((self.select, self.first_option))
            self.select = None
        elif tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None

    def handle_data(self, data):
        if not self.skip_depth and not self.english_here():
            self.text.append(data)


def english_words(text: str) -> list[str]:
    text = CODE.sub(" ", text)
    return [w for w in WORD.findall(text) if w not in ALLOWED]


def _shape(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/\d+", "/#", parts.path)
    keys = sorted({k for k, _v in parse_qsl(parts.query)})
    return path + "?" + "&".join(keys)


def crawl(client, starts: list[str], lang: str) -> tuple[list[str], dict]:
    """Walk from `starts`; return the failures and the English seen per page."""
    client.set_cookie("lang", lang)
    queue, seen, shapes = list(starts), set(), Counter()
    failures, english = [], {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {url}")
            continue
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if "text/html" not in response.content_type:
            continue
        page = _Page()
        page.feed(response.get_data(as_text=True))
        if lang == "zh":
            text = " ".join(page.text)
            words = english_words(text)
            if words:
                at = text.find(words[0])
                english[url] = [
                    f"{w} «{text[max(0, at - 30) : at + 30]}»" if w == words[0] else w
                    for w in sorted(set(words))
                ]
        targets = list(page.links)
        for action, fields in page.forms:
            target = urljoin(url, action or urlsplit(url).path)
            targets.append(urlsplit(target).path + "?" + urlencode(fields))
        for href in targets:
            absolute = urljoin(url, href)
            parts = urlsplit(absolute)
            if parts.netloc not in ("", "localhost") or parts.scheme == "mailto":
                continue
            query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
            if (
                parts.path.startswith("/static/")
                or "lang=" in parts.query
                and (not query)
            ):
                continue
            target = parts.path + ("?" + urlencode(query) if query else "")
            if target in seen:
                continue
            shape = _shape(target)
            if shapes[shape] >= PER_SHAPE:
                continue
            shapes[shape] += 1
            queue.append(target)
    return failures, english


@pytest.fixture()
def fieldwork(app, demo, db, active_model, survey_path, submit):  # noqa: F811
    """A realistic day: demo responses, a firm in the field, cases, index runs."""
    from surveyapp.services.admin.demo import seed_responses
    from surveyapp.services.admin.users import create_user
    from surveyapp.services.indices.computing import compute_run
    from tests.services.test_indices import demo_period

    seed_responses(400)
    create_firm("F1", "玉林民意调查有限公司")
    for name, role, firm_code in USERS.values():
        firm_id = firm(firm_code).id if firm_code and role != "analyst" else None
        create_user(name, PASSWORD, role, firm_id=firm_id)
    # Complaints, each a case; then one case walked into every state.
    text = "窗口工作人员态度很差，对群众不耐烦还大声呵斥"
    for i in range(6):
        answers = full_answers(
            1, q_complaint=f"{text}{i}", phone="13800138000", contact_consent="y"
        )
        assert submit(answers).status_code == 303
    worker_round()
    cases = db.session.scalars(select(ComplaintCase).order_by(ComplaintCase.id)).all()
    walks = [
        [],
        ["assigned"],
        ["assigned", "being_fixed"],
        ["assigned", "replied"],
        ["assigned", "replied", "closed"],
        ["assigned", "replied", "appealed"],
    ]
    for case, steps in zip(cases, walks, strict=True):
        for state in steps:
            transition(
                case, state, None, assignee="李科长", reply="已整改", note="已处理"
            )
    project = make_project(
        "W1",
        dims=("age_band", "gender"),
        targets={
            (HALL, "nr", "18-34", "female"): 4,
            (HALL, "nr", "35-59", "male"): 3,
        },
    )
    project.name = "2026年第四季度拦截访问"
    db.session.commit()
    frames.import_frame(project, frames.template_bytes("frame", "csv"), "f.csv")
    plans.save_plan(project, plans.PlanInput(n=12), None)
    # Responses the quality check doubts and rejects.
    rows = db.session.scalars(select(Response).order_by(Response.id).limit(4)).all()
    apply_verdict(rows[0], "flagged")
    apply_verdict(rows[1], "rejected")
    db.session.commit()
    first = compute_run(demo_period(), "hall")
    compute_run(demo_period(), "hall", "entropy")
    compute_run(demo_period(), "department")
    publish_run(first)
    return project


def _interview(app, project) -> None:
    """The interviewer enters two responses through the tablet form."""
    client = app.test_client()
    name = USERS["interviewer"][0]
    client.post("/office/login", data={"username": name, "password": PASSWORD})
    url = f"/firm/p/{project.id}/interview/{hall().id}"
    for overall in (5, 2):
        screen = {
            "service_item": str(item().id),
            "age_band": "18-34",
            "gender": "female",
        }
        html = client.post(url, data=screen).get_data(as_text=True)
        data = {
            "ticket": ticket_from(html),
            "screened": "1",
            **screen,
            **full_answers(overall),
        }
        assert client.post(url + "/submit", data=data).status_code == 303


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        name = USERS[role][0]
        signed = client.post(
            "/office/login", data={"username": name, "password": PASSWORD}
        )
        assert signed.status_code == 302
    return client


def test_every_reachable_page_for_every_role_in_both_languages(
    app, fieldwork, survey_path
):
    _interview(app, fieldwork)
    failures, english = [], {}
    for role, homes in HOMES.items():
        starts = homes + ([survey_path()] if role == "anonymous" else [])
        for lang in ("zh", "en"):
            broken, words = crawl(_client(app, role), starts, lang)
            failures += [f"{role} {lang}: {line}" for line in broken]
            english.update({f"{role} {url}": w for url, w in words.items()})
    assert failures == []
    by_word: dict[str, list[str]] = {}
    for page, words in sorted(english.items()):
        for word in words:
            by_word.setdefault(word.split(" «")[0], []).append(f"{page} {word}")
    report = [f"{w}: {len(p)} pages, e.g. {p[0]}" for w, p in sorted(by_word.items())]
    assert report == [], "\n" + "\n".join(report)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("窗口 H450900 · S450900-re-transfer 的评价 CSV", []),
        ("判定 flagged · 甄别淘汰 screen_out", ["flagged", "screen_out"]),
        ("时间 2026-12-03 17:38 UTC", ["UTC"]),
    ],
)
def test_english_words_leave_codes_and_formats(text, words):
    assert english_words(text) == words
