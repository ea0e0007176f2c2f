"""Enquiries: a guided Umrah/Hajj enquiry whose lead reaches the agents' phones.

``dialog`` is the flow (buttons or numbers), ``confirm`` stores the lead, ``cards`` puts it on
the agents' phones and handles Claim / Contacted / Booked / Lost, ``parse`` reads what
customers type. Entry points: /enquire, ``/start enq_<source>`` deep links, the words UMRAH,
HAJJ, ENQUIRE and their translations (with an optional source code after them), and
"umrah" or "hajj" typed in a private Telegram chat.
"""

from __future__ import annotations

from bot.core.choices import keyword_of
from bot.core.messages import ChatKind, InboundMessage
from bot.i18n import N_
from handlers.context import HandlerContext
from handlers.enquiries.cards import PREFIX, on_card_button, on_typed_action
from handlers.enquiries.commands import lead, leads, leadstats, reassign, unclaim
from handlers.enquiries.dialog import ENQUIRY
from handlers.enquiries.escalate import JOBS
from handlers.feature import ChoiceRoute, Feature
from handlers.flows import Answer, begin
from handlers.words import english_words

TELEGRAM_WORDS = english_words("enquire") - {"ENQUIRE", "ENQUIRY"}
"""Where people type commands, only "umrah" and "hajj" open the enquiry."""


async def enquiry_words(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Open the enquiry on "umrah" or "hajj" in a private chat of a platform with commands."""
    if message.chat_kind is not ChatKind.PRIVATE or ctx.capabilities(message.channel).keywords:
        return False  # where words are keywords the flow's own entry words do it
    head = message.text.split(maxsplit=1)
    if not head or keyword_of(head[0]) not in TELEGRAM_WORDS:
        return False
    return await begin(ENQUIRY, Answer.of(message), ctx)


async def from_an_ad(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Open the enquiry for a message that came from a click-to-WhatsApp ad."""
    if message.referral is None or message.chat_kind is not ChatKind.PRIVATE:
        return False
    if not ctx.settings.enquiries.enabled:
        return False
    return await begin(ENQUIRY, Answer.of(message), ctx)


FEATURE = Feature(
    name="enquiries",
    commands=[leads, lead, leadstats, reassign, unclaim],
    flows=[ENQUIRY],
    keywords=[on_typed_action, enquiry_words, from_an_ad],
    choices={PREFIX: ChoiceRoute(on_card_button, what=N_("act on enquiries"))},
    jobs=JOBS,
)
