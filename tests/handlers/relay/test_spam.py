"""The spam score: the forum's real spam and written variants are caught, real topics are not."""

from __future__ import annotations

import gettext
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from bot.i18n import LANGUAGES, Speech
from handlers.context import HandlerContext
from handlers.relay.review import queue_review_cards
from handlers.relay.spam import fold, score_text, score_topic, script_of
from handlers.relay.spam_reasons import SEPARATOR, say_reasons
from handlers.settings import LAGOS, SpamPolicy
from tests.handlers.conftest import ADMIN_ID, EN, drain
from tests.handlers.relay.conftest import privately, with_screening

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"
needs_smf = pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")
POLICY = SpamPolicy()
_POST = re.compile(
    r'<div class="inner" data-msgid="(\d+)" id="msg_\d+">(.*?)</div>\s*</div><!-- .post -->',
    re.DOTALL,
)


def post_bodies(relative: str) -> dict[int, str]:
    """Return ``msg id -> rendered HTML`` of every post on a captured topic page."""
    page = (SMF / relative).read_text(encoding="utf-8")
    return {int(m.group(1)): m.group(2).strip() for m in _POST.finditer(page)}


class _Marked(gettext.NullTranslations):
    """Translations that wrap every message in <…>, so a test sees what went through gettext."""

    def gettext(self, message: str) -> str:
        return f"<{message}>"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"<{msgid1 if n == 1 else msgid2}>"


MARKED = Speech(LANGUAGES["en"], _Marked(), tz=LAGOS)


def spam_reply_topic(topic_id: int = 12) -> Topic:
    """Return a topic carrying the captured spam (msg 4 of topic 2, by seo_profi77)."""
    return Topic(
        topic_id=TopicId(topic_id),
        board_id=BoardId(4),
        board_name="Umrah & Hajj Travel",
        subject="Re: Russia Strengthens Taliban Ties, Opposes Foreign Troops in Afghanistan Region",
        link=f"http://127.0.0.1:8181/index.php?topic={topic_id}.0",
        posted_at=datetime(2026, 11, 27, 9, 9, 30, tzinfo=UTC),
        author="seo_profi77",
        body_html=post_bodies("extras/topic_2.html")[4],
        guid=None,
    )


def _legit_feed_topics() -> list[Topic]:
    if not SMF.is_dir():
        return []
    return parse_feed((SMF / "after" / "feed_news_rss2_limit50.xml").read_bytes())


def _legit_posts() -> list[tuple[str, str]]:
    if not SMF.is_dir():
        return []
    pages = sorted(SMF.glob("extras/topic_[0-9].html")) + sorted(SMF.glob("after/topic_*.html"))
    found = []
    for page in pages:
        for msg_id, body in post_bodies(str(page.relative_to(SMF))).items():
            if (page.name, msg_id) != ("topic_2.html", 4):  # msg 4 is the spam
                found.append((f"{page.parent.name}/{page.stem}/msg{msg_id}", body))
    return found


@needs_smf
@pytest.mark.parametrize("topic", _legit_feed_topics(), ids=lambda t: f"topic{t.topic_id}")
def test_every_approved_feed_topic_scores_below_the_threshold(topic: Topic) -> None:
    """Arabic, emoji, ₦ prices, lists, quotes and links of real topics are not spam."""
    score = score_topic(topic.subject, topic.body_html, POLICY)
    assert not score.is_spam, score.reason
    assert score.score < POLICY.threshold


@needs_smf
def test_the_legit_feed_has_the_topics_the_filter_must_let_through() -> None:
    """The false-positive check above really covers all twelve approved topics."""
    assert sorted(t.topic_id for t in _legit_feed_topics()) == [*range(1, 11), 11, 13]


@needs_smf
@pytest.mark.parametrize(("where", "body"), _legit_posts(), ids=lambda v: str(v)[:40])
def test_every_approved_full_post_scores_below_the_threshold(where: str, body: str) -> None:
    """Full posts (the 17,000-character khutbah, Arabic tafsir, replies) are not spam either."""
    score = score_topic("Re: topic", body, POLICY)
    assert not score.is_spam, f"{where}: {score.reason}"


@needs_smf
def test_the_captured_cyrillic_spam_reply_is_caught_with_its_reasons() -> None:
    """msg 4 ("сайтсайт…" and a link) is spam for its repeated run and its Cyrillic letters."""
    topic = spam_reply_topic()
    score = score_topic(topic.subject, topic.body_html, POLICY)
    assert score.is_spam
    assert "repeated run 'сайт'" in score.reason
    assert "unexpected scripts (cyrillic)" in score.reason


@needs_smf
def test_the_spam_reply_stays_spam_where_cyrillic_is_an_allowed_script() -> None:
    """A Russian-speaking forum still holds the run of "сайт", only the script signal goes."""
    topic = spam_reply_topic()
    policy = SpamPolicy(allowed_scripts=("latin", "cyrillic"))
    score = score_topic(topic.subject, topic.body_html, policy)
    assert score.is_spam
    assert "unexpected scripts" not in score.reason


SPAM_VARIANTS = [
    pytest.param(
        "Сheap Umrah vіsa",
        "Bеst prіce for Hajj pаckage, call now",
        POLICY,
        "5 words mixing scripts, e.g. 'Сheap'",
        id="latin-cyrillic-homoglyphs",
    ),
    pytest.param(
        "Great deals",
        "".join(f'<a href="https://spam{i}.example/">deal {i}</a> ' for i in range(5)),
        POLICY,
        "5 links (more than 3)",
        id="link-farm",
    ),
    pytest.param(
        "Free bonus",
        "Join the best <b>CASÍNO</b> today",
        SpamPolicy(blocked_words=("casino",)),
        "blocked word 'casino'",
        id="blocked-word-diacritics",
    ),
    pytest.param(
        "Weight loss",
        "Lose 10kg with our tea: buy buy buy buy buy now",
        POLICY,
        "word 'buy' repeated 5+ times",
        id="repeated-word",
    ),
    pytest.param(
        "Offer",
        "价格便宜的朝觐套餐，请联系我们的代理商获取更多信息和优惠",
        POLICY,
        "unexpected scripts (han)",
        id="unexpected-script",
    ),
    pytest.param(
        "Promo",
        "winwinwinwinwinwinwinwinwinwinwinwin",
        POLICY,
        "repeated run 'win' x12",
        id="latin-run",
    ),
    pytest.param(
        "Cheap umrah visa",
        "contact whats app",
        SpamPolicy(blocked_words=("whats app",)),
        "blocked word 'whats app'",
        id="blocked-phrase",
    ),
]
"""Each kind of spam the issue names, and a reason it must give."""


@pytest.mark.parametrize(("subject", "body", "policy", "reason"), SPAM_VARIANTS)
def test_written_spam_variants_are_caught(
    subject: str, body: str, policy: SpamPolicy, reason: str
) -> None:
    """Each kind of spam the issue names reaches the threshold and says why."""
    score = score_topic(subject, body, policy)
    assert score.is_spam, score.reason
    assert reason in score.reason


@pytest.mark.parametrize(
    ("subject", "body", "policy"),
    [
        pytest.param("Buy now", "buy buy buy buy the book", POLICY, id="four-repeats"),
        pytest.param("Lol", "hahahahaha that was funny", POLICY, id="short-run"),
        pytest.param(
            "Russia and the Taliban",
            "Officials in Moscow (Москва) met envoys from Kabul this week to discuss trade.",
            POLICY,
            id="one-cyrillic-name",
        ),
        pytest.param(
            "Greeting",
            "Assalamu alaikum brothers and sisters",
            SpamPolicy(blocked_words=("ass",)),
            id="blocked-word-inside-a-word",
        ),
        pytest.param(
            "Links",
            "".join(
                f'<a href="https://forum.example/{i}">topic {i}</a> and more text ' for i in "123"
            ),
            POLICY,
            id="three-links-allowed",
        ),
        pytest.param(
            "Notice",
            "Ẹ kú àárọ̀! Ìpàdé wa yóò wáyé ní ọjọ́ Ẹtì ní Mọ́sálásí. Ẹ jọ̀ọ́ ẹ wá.",
            POLICY,
            id="yoruba-diacritics",
        ),
        pytest.param(
            "Sanarwa",
            "Ƙungiyar mu za ta yi taro a ranar Jumaʼa a masallaci. Ɗan uwa ya zo.",
            POLICY,
            id="hausa-hooked-letters",
        ),
        pytest.param(
            "Vote",
            "Привет всем! Как дела?",
            SpamPolicy(allowed_scripts=("cyrillic",)),
            id="allowed-cyrillic",
        ),
    ],
)
def test_near_misses_are_not_spam(subject: str, body: str, policy: SpamPolicy) -> None:
    """What only looks like a signal (four repeats, a name in Cyrillic, "Assalamu") passes."""
    score = score_topic(subject, body, policy)
    assert not score.is_spam, score.reason


def test_one_weak_signal_is_below_the_default_threshold_but_counts() -> None:
    """A single mixed-script word weighs 0.5: not spam at 1.0, spam at a stricter 0.5."""
    text = "Cheap vіsa offers for the season"  # one Cyrillic і
    assert score_text(text, POLICY).score == 0.5
    assert not score_text(text, POLICY).is_spam
    assert score_text(text, SpamPolicy(threshold=0.5)).is_spam


def test_links_making_most_of_the_text_add_a_weak_signal() -> None:
    """A teaser that is nearly all link text says so, without being spam on that alone."""
    score = score_topic(
        "x", '<a href="https://a.example/">https://a.example/very/long/path</a>', POLICY
    )
    assert [s.weight for s in score.signals] == [0.5]
    assert "links make" in score.reason


def test_links_in_the_subject_count_too() -> None:
    """Unlinked URLs in the title add to the link count."""
    subject = "www.a.example www.b.example https://c.example https://d.example"
    assert "4 links" in score_topic(subject, "text", POLICY).reason


def test_reasons_are_ordered_strongest_first() -> None:
    """The card shows the strongest reason first."""
    text = "Cheap vіsa: buy buy buy buy buy"
    score = score_text(text, POLICY)
    assert score.reason.startswith("word 'buy'")
    assert score.score == 1.5


def test_fold_removes_case_and_diacritics() -> None:
    """Blocked words match however they are accented or capitalised."""
    assert fold("Ẹ̀kọ́ CAFÉ Straße") == "eko cafe strasse"


@pytest.mark.parametrize(
    ("char", "script"),
    [
        ("a", "latin"),
        ("ƙ", "latin"),
        ("ب", "arabic"),
        ("д", "cyrillic"),
        ("λ", "greek"),
        ("中", "han"),
    ],
)
def test_script_of_names_the_script(char: str, script: str) -> None:
    """Letters map to the script names used in ``allowed_scripts``."""
    assert script_of(char) == script


def test_an_empty_topic_is_not_spam() -> None:
    """Nothing to score means no signal at all."""
    score = score_topic("", "", POLICY)
    assert (score.signals, score.is_spam, score.reason) == ((), False, "")


def test_one_mixed_word_is_counted_in_the_singular() -> None:
    """The count of look-alike words is a plural: one word reads "1 word", not "1 word(s)"."""
    score = score_text("Cheap vіsa offers for the season", POLICY)
    assert score.reason == "1 word mixing scripts, e.g. 'vіsa'"


# -- the stored English reasons, said in the reader's language ------------------------------


@pytest.mark.parametrize(("subject", "body", "policy", "reason"), SPAM_VARIANTS)
def test_every_stored_reason_is_read_back_and_said_through_gettext(
    subject: str, body: str, policy: SpamPolicy, reason: str
) -> None:
    """Each part of a stored reason line is recognised and said again through the catalogue."""
    score = score_topic(subject, body, policy)
    ordered = sorted(score.signals, key=lambda s: -s.weight)
    assert say_reasons(score.reason, MARKED) == SEPARATOR.join(s.said(MARKED) for s in ordered)
    assert all(part.startswith("<") for part in say_reasons(score.reason, MARKED).split("; "))


def test_the_link_share_and_script_share_reasons_are_read_back() -> None:
    """The percentages of the weak link signal and of the script signal survive the round trip."""
    links = score_topic(
        "x", '<a href="https://a.example/">https://a.example/very/long/path</a>', POLICY
    )
    scripts = score_text("价格便宜的朝觐套餐，请联系我们的代理商获取更多信息和优惠", POLICY)
    for score in (links, scripts):
        [signal] = score.signals
        assert say_reasons(score.reason, MARKED) == signal.said(MARKED) == f"<{score.reason}>"


def test_say_reasons_in_english_repeats_the_stored_text() -> None:
    """An English reader reads the reasons exactly as they were stored and logged."""
    stored = "repeated run 'сайт' x120; 43% of letters in unexpected scripts (cyrillic)"
    assert say_reasons(stored, EN) == stored


def test_a_blocked_word_holding_the_separator_is_still_one_reason() -> None:
    """A blocked entry may itself contain "; ": it is read as one quoted word."""
    score = score_text("buy a b now", SpamPolicy(blocked_words=("a; b",)))
    assert score.reason == "blocked word 'a; b'"
    assert say_reasons(score.reason, MARKED) == "<blocked word 'a; b'>"


def test_reasons_stored_before_translation_and_unknown_ones_are_still_shown() -> None:
    """Old "word(s)" reasons are read; a part no reason matches is shown as it was stored."""
    stored = "2 word(s) mixing scripts, e.g. 'vіsa'; something new; blocked word 'casino'"
    assert say_reasons(stored, MARKED) == (
        "<2 words mixing scripts, e.g. 'vіsa'>; something new; <blocked word 'casino'>"
    )
    assert say_reasons("", MARKED) == ""


async def test_a_hausa_admin_reads_the_spam_reasons_in_hausa(ctx: HandlerContext) -> None:
    """The card of an admin whose chat chose Hausa gives the filter's reasons in Hausa."""
    with_screening(ctx, chats=privately(ADMIN_ID))
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    topic = Topic(
        topic_id=TopicId(40),
        board_id=BoardId(4),
        board_name="Umrah & Hajj Travel",
        subject="Cheap visa",
        link="http://127.0.0.1:8181/index.php?topic=40.0",
        posted_at=datetime(2026, 11, 27, 9, 9, 30, tzinfo=UTC),
        author="seo_profi77",
        body_html="сайтсайтсайт",
    )
    await queue_review_cards(topic, ctx, "repeated run 'сайт' x120; 5 links (more than 3)")
    [card] = await drain(ctx)
    assert (
        "⚠️ Ana zargin saƙon banza: maimaitawar 'сайт' sau 120; mahaɗai 5 (fiye da 3)"
        in card.message.plain_text
    )
