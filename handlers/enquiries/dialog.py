"""The enquiry: package, month, travellers, name, phone, note, then Confirm / Edit / Cancel.

One flow, shown as buttons on Telegram and numbers on WhatsApp. Every answer is kept in the
dialog row, so a restart resumes at the same step; BACK (in every language) goes one step
back, the flow's cancel words end it, and STOP still opts out (the dispatcher sees to that).
Anything the step cannot read gets the question again with an example, never silence.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.messages import Choice
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.enquiries import parse
from handlers.enquiries.confirm import confirm
from handlers.enquiries.prompts import ORDER, ask_for, summary_ask
from handlers.flows import Answer, Ask, Done, Flow, Next
from handlers.words import words_of

BACK_WORDS = words_of("back")
ENTRY_WORDS = words_of("enquire")
MAX_NAME = 100
MAX_NOTE = 1000
NO_NOTE = frozenset({"NO", "NONE", "NOTHING", "SKIP", "BABU", "RARA", "لا"})
"""Typed instead of a note: no note (English, Hausa, Yoruba, Arabic)."""


async def start(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Open the enquiry, keeping where it came from; a package word skips the first question."""
    t = await ctx.speech(answer.message)
    settings = ctx.settings.enquiries
    if not settings.enabled:
        return Done(Ask(t._("Enquiries are not open here yet.")))
    keys = frozenset(p.key for p in settings.packages)
    data = {"source": data.get("source") or _source(answer, keys)}
    if ctx.capabilities(answer.message.channel).session_window is not None:
        # WhatsApp: the chat is a phone number, offered at the phone question.
        data["own_phone"] = parse.phone_in(answer.message.chat_id)
    first_word = answer.word.removesuffix((data["source"] or "").upper())
    named = next(
        (p.key for p in settings.packages if first_word and p.key.upper() == first_word), None
    )
    if answer.choice is not None and settings.package(answer.choice) is not None:
        named = answer.choice  # an old menu's package button
    if named is not None:
        data["package"] = named
        return _next("package", data, t, ctx, answer)
    return Next("package", data, ask_for("package", data, t, ctx, answer.message.channel))


async def step(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Read the answer to the current question (named in ``data["at"]``) and ask the next."""
    t = await ctx.speech(answer.message)
    at = str(data.get("at", "package"))
    if answer.word in BACK_WORDS:
        back = ORDER[max(ORDER.index(at) - 1, 0)] if at in ORDER else "package"
        return Next(back, {**data, "at": back}, ask_for(back, data, t, ctx, answer.message.channel))
    reader = _READERS[at]
    value, problem = reader(answer, data, t, ctx)
    if problem is not None:
        again = ask_for(at, data, t, ctx, answer.message.channel)
        return Next(at, data, Ask(f"{problem}\n\n{_text(again)}", again.choices))
    data = {**data, at: value}
    return _next(at, data, t, ctx, answer)


async def summary(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Confirm stores the lead; Edit asks what to change; Cancel ends it."""
    t = await ctx.speech(answer.message)
    channel = answer.message.channel
    if answer.choice == "confirm":
        return await confirm(answer, data, t, ctx)
    if answer.choice == "edit":
        fields = [Choice(_field_label(name, t), data=f"field:{name}") for name in ORDER[:-1]]
        return Next("summary", data, Ask(t._("What would you like to change?"), fields))
    if answer.choice is not None and answer.choice.startswith("field:"):
        name = answer.choice.removeprefix("field:")
        if name in ORDER:
            edit = {**data, "at": name, "editing": True}
            return Next(name, edit, ask_for(name, edit, t, ctx, channel))
    if answer.choice == "cancel":
        return Done(Ask(t._("Enquiry cancelled. Send {word} to start again.", word="UMRAH")))
    if answer.word in BACK_WORDS:
        return Next("note", {**data, "at": "note"}, ask_for("note", data, t, ctx, channel))
    return Next("summary", data, summary_ask(data, t, ctx))


def _source(answer: Answer, packages: frozenset[str]) -> str | None:
    """Return where the enquiry came from: a typed code, a button's payload, or the ad."""
    typed = parse.source_in(answer.text, ENTRY_WORDS)
    if typed is not None:
        return typed
    choice = answer.choice
    if choice is not None and choice not in packages and parse.SOURCE.match(choice):
        return choice.lower()  # a template's quick-reply payload "enq:<source>"
    if answer.message.referral:
        return parse.ad_source(answer.message.referral)
    return None


def _next(done: str, data: dict[str, Any], t: Speech, ctx: HandlerContext, answer: Answer) -> Next:
    """Go to the question after ``done`` (back to the summary when editing one answer)."""
    following = "summary" if data.get("editing") else ORDER[ORDER.index(done) + 1]
    if following == "summary":
        return Next("summary", {**data, "at": "summary"}, summary_ask(data, t, ctx))
    return Next(
        following,
        {**data, "at": following},
        ask_for(following, data, t, ctx, answer.message.channel),
    )


Reading = tuple[object, str | None]


def _package(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    packages = ctx.settings.enquiries.packages
    key = answer.choice
    if key is None:
        typed = answer.word
        key = next((p.key for p in packages if typed in {p.key.upper(), _word(p.label)}), None)
    if key is None or ctx.settings.enquiries.package(key) is None:
        return None, t._("Please pick one of the packages.")
    return key, None


def _month(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    if answer.choice is not None:
        return answer.choice, None
    found = parse.month_in(answer.text, t.code)
    if found is None:
        return None, t._("Which month? For example: December, or Ramadan.")
    return found, None


def _travellers(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    count = int(answer.choice) if answer.choice and answer.choice.isdigit() else None
    if count is None:
        count = parse.travellers_in(answer.text)
    if count is None or not 1 <= count <= parse.MAX_TRAVELLERS:
        top = parse.MAX_TRAVELLERS
        return None, t._("How many people will travel? A number from 1 to {top}.", top=top)
    return count, None


def _name(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    name = " ".join(answer.text.split())
    if not name or answer.choice is not None:
        return None, t._("Please type your full name.")
    return name[:MAX_NAME], None


def _phone(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    if answer.contact is not None:  # a shared contact, checked to be the sender's own
        found = parse.phone_in(answer.contact.phone)
    elif answer.choice == "same":
        found = data.get("own_phone")
    elif answer.choice == "other":
        return None, t._("Please type the number. For example: 0803 123 4567.")
    else:
        found = parse.phone_in(answer.text)
    if found is None:
        return None, t._("That is not a mobile number I can use. For example: 0803 123 4567.")
    return found, None


def _note(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Reading:
    if answer.choice == "skip" or answer.word in NO_NOTE:
        return "", None
    note = answer.text.strip()
    if len(note) > MAX_NOTE:
        data["note_trimmed"] = True
        return note[:MAX_NOTE], None
    return note, None


_READERS = {
    "package": _package,
    "month": _month,
    "travellers": _travellers,
    "name": _name,
    "phone": _phone,
    "note": _note,
}


def _field_label(name: str, t: Speech) -> str:
    labels = {
        "package": t.p_("enquiry field", "Package"),
        "month": t.p_("enquiry field", "Month"),
        "travellers": t.p_("enquiry field", "Travellers"),
        "name": t.p_("enquiry field", "Name"),
        "phone": t.p_("enquiry field", "Phone"),
        "note": t.p_("enquiry field", "Note"),
    }
    return labels[name]


def _word(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _text(ask: Ask) -> str:
    return ask.text if isinstance(ask.text, str) else "".join(s.text for s in ask.text)


ENQUIRY = Flow(
    name="enquiry",
    prefix="enq",
    start="start",
    steps={"start": start, **dict.fromkeys(ORDER[:-1], step), "summary": summary},
    ttl=timedelta(hours=24),
    ttl_from=lambda settings: timedelta(hours=settings.enquiries.dialog_ttl_hours),
    commands={"enquire": N_("Ask about an Umrah or Hajj package")},
    keywords=words_of("enquire"),
    cancelled=N_("Enquiry cancelled."),
    expired=N_("Your enquiry timed out before it was sent. Send UMRAH to start again."),
    what=N_("make an enquiry"),
)
