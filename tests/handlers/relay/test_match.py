"""Rule matching and precedence: one table, one row per case, plus the real captures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from handlers.relay.match import Decision, Reason, Rule, TopicText, decide, normalise, words_of

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"

# Board 4 topic: the words "umrah promo" are adjacent in the subject, "hajj package" in the teaser.
UMRAH = TopicText.from_parts(
    4,
    "Umrah & Hajj Travel",
    "December Umrah Promo: 10 Nights Makkah",
    "Hajj package available; visa included.",
)
UNNUMBERED = TopicText.from_parts(None, "Umrah & Hajj Travel", "December Umrah Promo")
ARABIC = TopicText.from_parts(
    3,
    "Islamic Discussions",
    "Tafsir Session: Surah Al-Kahf (سورة الكهف)",
    "الْحَمْدُ لِلَّهِ الَّذِي أَنزَلَ عَلَىٰ عَبْدِهِ الْكِتَابَ",
)
YORUBA = TopicText.from_parts(1, "General Discussion", "Ìrántí Ọjọ́ Jímọ̀ ní Ìlọrin")


def watch(
    *include: str, board: int | None = None, exclude: Sequence[str] = (), rid: int = 1
) -> Rule:
    """Build a watch rule."""
    return Rule("watch", board, tuple(include), tuple(exclude), rid)


def mute(
    *include: str, board: int | None = None, exclude: Sequence[str] = (), rid: int = 9
) -> Rule:
    """Build a mute rule."""
    return Rule("mute", board, tuple(include), tuple(exclude), rid)


RELAY, DROP = True, False

PRECEDENCE = [
    # (a) the destination's boards list, when it has no watch rules
    pytest.param(UMRAH, (), [], RELAY, Reason.ACCEPTED, None, id="no-boards-no-rules-takes-all"),
    pytest.param(UMRAH, (4,), [], RELAY, Reason.ACCEPTED, None, id="board-listed"),
    pytest.param(UMRAH, (2, 3), [], DROP, Reason.BOARD_NOT_LISTED, None, id="board-not-listed"),
    pytest.param(
        UNNUMBERED, ("umrah & HAJJ travel",), [], RELAY, Reason.ACCEPTED, None,
        id="board-listed-by-name-when-feed-has-no-id",
    ),
    pytest.param(
        UNNUMBERED, (4,), [], DROP, Reason.BOARD_NOT_LISTED, None,
        id="board-id-list-misses-topic-without-id",
    ),
    pytest.param(
        UMRAH, (2,), [mute("promo")], DROP, Reason.BOARD_NOT_LISTED, None,
        id="board-gate-decides-before-mute",
    ),
    # watch rules replace the boards list
    pytest.param(
        UMRAH, (2,), [watch(board=4)], RELAY, Reason.WATCHED, 1, id="watch-reaches-past-boards"
    ),
    pytest.param(
        UMRAH, (4,), [watch(board=2)], DROP, Reason.NO_WATCH_MATCHED, None,
        id="watch-rules-replace-listed-board",
    ),
    pytest.param(UMRAH, (), [watch("umrah")], RELAY, Reason.WATCHED, 1, id="watch-word-any-board"),
    pytest.param(
        UMRAH, (), [watch("zakat")], DROP, Reason.NO_WATCH_MATCHED, None, id="watch-word-absent"
    ),
    pytest.param(
        UMRAH, (), [watch("zakat", "visa")], RELAY, Reason.WATCHED, 1,
        id="watch-any-include-word-is-enough",
    ),
    pytest.param(
        UMRAH, (), [watch("zakat", rid=1), watch(board=4, rid=2)], RELAY, Reason.WATCHED, 2,
        id="one-of-several-watches-is-enough",
    ),
    pytest.param(
        UMRAH, (), [watch("umrah", board=2)], DROP, Reason.NO_WATCH_MATCHED, None,
        id="watch-needs-board-and-words",
    ),
    pytest.param(
        UMRAH, (), [watch("umrah", exclude=["promo"])], DROP, Reason.NO_WATCH_MATCHED, None,
        id="watch-exclude-word-vetoes",
    ),
    pytest.param(
        UMRAH, (), [watch(exclude=["zakat"])], RELAY, Reason.WATCHED, 1,
        id="watch-only-excludes-matches-the-rest",
    ),
    pytest.param(
        UNNUMBERED, (), [watch(board=4)], DROP, Reason.NO_WATCH_MATCHED, None,
        id="board-rule-never-matches-topic-without-board-id",
    ),
    # (b) a matching mute wins
    pytest.param(UMRAH, (4,), [mute("promo")], DROP, Reason.MUTED, 9, id="mute-beats-board"),
    pytest.param(
        UMRAH, (), [watch(board=4), mute("promo")], DROP, Reason.MUTED, 9,
        id="mute-beats-watch",
    ),
    pytest.param(
        UMRAH, (), [mute("promo"), watch(board=4)], DROP, Reason.MUTED, 9,
        id="mute-beats-watch-in-any-order",
    ),
    pytest.param(UMRAH, (), [mute()], DROP, Reason.MUTED, 9, id="bare-mute-silences-everything"),
    pytest.param(
        UMRAH, (), [mute(board=2)], RELAY, Reason.ACCEPTED, None, id="mute-on-other-board-ignored"
    ),
    pytest.param(
        UMRAH, (), [mute("umrah", exclude=["promo"])], RELAY, Reason.ACCEPTED, None,
        id="mute-exclude-word-spares-topic",
    ),
    pytest.param(
        UMRAH, (), [mute("zakat")], RELAY, Reason.ACCEPTED, None, id="mute-word-absent"
    ),
    # words: whole words, phrases, folding, never patterns
    pytest.param(
        UMRAH, (), [watch("hajj package")], RELAY, Reason.WATCHED, 1, id="phrase-adjacent-words"
    ),
    pytest.param(
        UMRAH, (), [watch("package hajj")], DROP, Reason.NO_WATCH_MATCHED, None,
        id="phrase-words-in-order-only",
    ),
    pytest.param(
        UMRAH, (), [watch("makkah hajj")], DROP, Reason.NO_WATCH_MATCHED, None,
        id="phrase-never-spans-subject-and-teaser",
    ),
    pytest.param(
        UMRAH, (), [watch("pro")], DROP, Reason.NO_WATCH_MATCHED, None, id="part-of-word-no-match"
    ),
    pytest.param(UMRAH, (), [watch("UMRAH")], RELAY, Reason.WATCHED, 1, id="case-insensitive"),
    pytest.param(UMRAH, (), [watch("Úmráh")], RELAY, Reason.WATCHED, 1, id="accent-insensitive"),
    pytest.param(UMRAH, (), [watch("promo:")], RELAY, Reason.WATCHED, 1, id="edge-punctuation"),
    pytest.param(
        UMRAH, (), [watch("umr.*")], DROP, Reason.NO_WATCH_MATCHED, None, id="regex-is-plain-text"
    ),
    pytest.param(
        UMRAH, (), [watch("!!!")], DROP, Reason.NO_WATCH_MATCHED, None,
        id="wordless-include-matches-nothing",
    ),
    pytest.param(
        UMRAH, (), [mute("...")], RELAY, Reason.ACCEPTED, None, id="wordless-mute-mutes-nothing"
    ),
    pytest.param(ARABIC, (), [watch("الكتاب")], RELAY, Reason.WATCHED, 1, id="arabic-harakat"),
    pytest.param(ARABIC, (), [watch("انزل")], RELAY, Reason.WATCHED, 1, id="arabic-hamza-alef"),
    pytest.param(ARABIC, (), [watch("سوره")], RELAY, Reason.WATCHED, 1, id="arabic-ta-marbuta"),
    pytest.param(
        ARABIC, (), [watch("على")], RELAY, Reason.WATCHED, 1, id="arabic-dagger-alef-maksura"
    ),
    pytest.param(
        ARABIC, (), [mute("سُورَةُ الْكَهْفِ")], DROP, Reason.MUTED, 9, id="arabic-voweled-phrase"
    ),
    pytest.param(
        ARABIC, (), [watch("الكتب")], DROP, Reason.NO_WATCH_MATCHED, None,
        id="arabic-other-word-no-match",
    ),
    pytest.param(
        YORUBA, (), [watch("ojo jimo")], RELAY, Reason.WATCHED, 1, id="yoruba-tone-marks"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("topic", "boards", "rules", "relay", "reason", "rule_id"), PRECEDENCE)
def test_precedence(
    topic: TopicText,
    boards: tuple[int | str, ...],
    rules: list[Rule],
    relay: bool,
    reason: Reason,
    rule_id: int | None,
) -> None:
    """Each precedence case gives its outcome, its reason and the deciding rule."""
    assert decide(topic, boards, rules) == Decision(relay, reason, rule_id)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("Hajj PACKAGE!", ("hajj", "package"), id="case-and-punctuation"),
        pytest.param("Jumu’ah", ("jumu", "ah"), id="apostrophe-splits-like-the-topic-does"),
        pytest.param("ﬁrst ＵＭＲＡＨ", ("first", "umrah"), id="compatibility-forms"),
        pytest.param("İlorin", ("ilorin",), id="dotted-capital-i"),
        pytest.param("مُـحَـمَّـد", ("محمد",), id="tatweel-and-harakat"),
        pytest.param("ٱللَّه", ("الله",), id="alef-wasla"),
        pytest.param("إِنَّ آمَنُوا", ("ان", "امنوا"), id="hamza-and-madda-alef"),
        pytest.param("...", (), id="no-words"),
    ],
)
def test_words_of_folds_text(text: str, words: tuple[str, ...]) -> None:
    """Text is split into whole words folded for case, accents, harakat and alef forms."""
    assert words_of(text) == words


def test_normalise_keeps_letters_without_marks() -> None:
    """Letters without any mark, such as Hausa hooked letters, pass through unchanged."""
    assert normalise("Ɗaƙi ɓera") == "ɗaƙi ɓera"


def _capture(name: str) -> dict[int, Topic]:
    if not SMF.is_dir():
        pytest.skip(f"SMF captures not found at {SMF}")
    return {t.topic_id: t for t in parse_feed((SMF / name).read_bytes())}


def test_watching_board_4_takes_the_umrah_promo_only() -> None:
    """A destination watching board 4 gets topic 11 (Umrah promo) but not news topic 13."""
    topics = _capture("after/feed_news_smf.xml")
    rules = [watch(board=4)]
    assert decide(TopicText.of(topics[11]), (), rules).relay
    assert not decide(TopicText.of(topics[13]), (), rules).relay


def test_mute_promo_hides_the_umrah_promo() -> None:
    """A mute on "promo" hides topic 11 and lets topic 13 through."""
    topics = _capture("after/feed_news_smf.xml")
    rules = [mute("promo")]
    assert decide(TopicText.of(topics[11]), (), rules) == Decision(False, Reason.MUTED, 9)
    assert decide(TopicText.of(topics[13]), (), rules).relay


def test_teaser_words_count_in_the_captures() -> None:
    """Words that occur only in the rendered teaser, not the subject, match."""
    topic = _capture("after/feed_news_smf.xml")[11]
    assert "airport" not in topic.subject.casefold()
    assert decide(TopicText.of(topic), (), [watch("airport transfers")]).relay


def test_arabic_rule_matches_the_captured_tafsir_topic() -> None:
    """An unvoweled Arabic watch word matches the voweled teaser of captured topic 4."""
    topics = _capture("after/feed_news_rss2_limit50.xml")
    tafsir = TopicText.of(topics[4])
    assert decide(tafsir, (), [watch("انزل على عبده")]).relay
    assert not decide(TopicText.of(topics[5]), (), [watch("انزل على عبده")]).relay


def test_rss2_topics_route_by_board_name() -> None:
    """rss2 feeds carry no board ids, so a boards list naming the board routes them."""
    topics = _capture("after/feed_news_rss2_limit50.xml")
    boards = ("Umrah & Hajj Travel",)
    assert decide(TopicText.of(topics[8]), boards, []).relay
    assert not decide(TopicText.of(topics[13]), boards, []).relay
