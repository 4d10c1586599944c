"""The lesson plan (docs/lesson-plan.md, issue 16 part 1) cannot drift from the app: every
step's link opens, as a fresh visit, with no error and no value left unused, the address bar
keeps what the link says, and the number the plan quotes for the step is on the page."""

import os
import re

import pytest

from ui.links import SERVER, view_url
from ui.settings import SETTINGS

from pages_open import ROOT, notices, open_link, page_text, split_link

PLAN = os.path.join(ROOT, "docs", "lesson-plan.md")


def _steps():
    text = open(PLAN, encoding="utf-8").read()
    parts = re.split(r"^## Step ", text, flags=re.M)[1:]
    steps = []
    for part in parts:
        title = part.splitlines()[0]
        minutes = int(re.search(r"\((\d+) min\)$", title).group(1))
        links = re.findall(r"\]\((http://[^)\s]+)\)", part)
        sees = [line for line in part.split("\n\n") if line.startswith("**The class sees:**")]
        assert len(links) == 1, f"step {title}: one link, not {len(links)}"
        assert len(sees) == 1, f"step {title}: one 'The class sees' paragraph"
        quoted = re.findall(r"`([^`]+)`", sees[0])
        assert len(quoted) == 1, f"step {title}: one quoted number, not {quoted}"
        for key in ("**Say:**", "**Ask", "**Open:**"):
            assert key in part, f"step {title}: no {key}"
        steps.append((title, minutes, links[0], quoted[0]))
    return steps


STEPS = _steps()


def test_the_plan_is_a_45_minute_class_of_8_to_12_steps():
    assert 8 <= len(STEPS) <= 12
    assert sum(m for _, m, _, _ in STEPS) == 45
    assert [t.split(" ", 1)[0] for t, *_ in STEPS] == [str(i) for i in range(1, len(STEPS) + 1)]


@pytest.mark.parametrize("title, link", [(t, l) for t, _, l, _ in STEPS])
def test_each_link_is_a_view_url_on_the_placeholder(title, link):
    assert link.startswith(SERVER + "/")
    page, query = split_link(link)
    name = os.path.basename(page)[:-3]
    values = {n: s.default for n, s in SETTINGS.items()}
    for k, v in query.items():
        assert k in SETTINGS, f"{title}: {k} is not a setting"
        values[k] = SETTINGS[k].read(v)[0]
    assert view_url(name, values) == link, f"{title}: the link is what ui.links.view_url makes"


def _token(quoted):
    """The quoted number as a whole token: not part of a longer number."""
    return re.compile(rf"(?<![\d.,]){re.escape(quoted)}(?![\d,]|\.\d)")


@pytest.mark.parametrize("title, link, quoted", [(t, l, q) for t, _, l, q in STEPS])
def test_each_link_opens_its_view_and_shows_the_quoted_number(title, link, quoted):
    at = open_link(link)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not notices(at), notices(at)
    _, query = split_link(link)
    url = {k: (v[0] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}
    assert url == query, f"{title}: the address bar still names the view"
    text = page_text(at)
    assert any(_token(quoted).search(t) for t in text), f"{title}: {quoted} is not on the page"
