"""The questions of the enquiry, each in the customer's language, with its choices."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import get_month_names

from bot.core.messages import Choice
from bot.i18n import Speech
from handlers.context import HandlerContext
from handlers.flows import Ask
from handlers.words import word_for

ORDER = ("package", "month", "travellers", "name", "phone", "note", "summary")
"""The questions in order (BACK goes one up this list)."""
MONTHS_SHOWN = 6


def ask_for(name: str, data: dict[str, Any], t: Speech, ctx: HandlerContext, channel: str) -> Ask:
    """Return the question ``name`` with its choices."""
    hint = _back_hint(t)
    if name == "package":
        packages = ctx.settings.enquiries.packages
        choices = [Choice(_package_label(p.label, p.price), data=p.key) for p in packages]
        return Ask(t._("Which package are you asking about?"), choices)
    if name == "month":
        return Ask(t._("When would you like to travel?") + hint, _months(ctx, t))
    if name == "travellers":
        choices = [Choice(str(n), data=str(n)) for n in range(1, 7)]
        return Ask(t._("How many people will travel?") + hint, choices)
    if name == "name":
        return Ask(t._("Your full name, please?") + hint)
    if name == "phone":
        # Translators: {agency} is the bot's name (the agency), told before a phone is asked.
        why = t._(
            "Only {agency}'s travel agents will see your details, to answer this enquiry.",
            agency=ctx.bot_name,
        )
        if data.get("own_phone"):  # WhatsApp: the chat is a phone number
            choices = [
                Choice(t._("Use this number"), data="same"),
                Choice(t._("Another number"), data="other"),
            ]
            return Ask(t._("Which phone number should the agent call?") + f"\n{why}", choices)
        return Ask(t._("Your phone number, please? For example: 0803 123 4567.") + f"\n{why}")
    if name == "note":
        choices = [Choice(t._("Skip"), data="skip")]
        return Ask(t._("Anything the agent should know? (Optional)") + hint, choices)
    return summary_ask(data, t, ctx)


def summary_ask(data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Ask:
    """Return the summary of every answer with Confirm, Edit and Cancel."""
    package = ctx.settings.enquiries.package(str(data.get("package", "")))
    lines = [
        t._("Please check your enquiry:"),
        t._("Package: {value}", value=package.label if package else "?"),
        t._("Month: {value}", value=month_label(str(data.get("month", "?")), t)),
        t._("Travellers: {value}", value=str(data.get("travellers", "?"))),
        t._("Name: {value}", value=str(data.get("name", "?"))),
        t._("Phone: {value}", value=str(data.get("phone", "?"))),
    ]
    if data.get("note"):
        lines.append(t._("Note: {value}", value=str(data["note"])))
    if data.get("note_trimmed"):
        lines.append(t._("(Your note was long, so only its beginning is kept.)"))
    choices = [
        Choice("✅ " + t.p_("enquiry", "Confirm"), data="confirm"),
        Choice("✏️ " + t.p_("enquiry", "Edit"), data="edit"),
        Choice("❌ " + t.p_("enquiry", "Cancel"), data="cancel"),
    ]
    return Ask("\n".join(lines), choices)


def month_label(value: str, t: Speech) -> str:
    """Return a stored month ("January 2027", "Ramadan") as the customer reads it."""
    if value == "Ramadan":
        return t._("Ramadan")
    if value == "Hajj":
        return t._("Hajj season")
    name, _, year = value.partition(" ")
    english = {str(v): k for k, v in get_month_names("wide", locale="en").items()}
    if name not in english:
        return value
    local = get_month_names("wide", locale=t.code)[english[name]]
    return f"{local} {year}".strip()


def _months(ctx: HandlerContext, t: Speech) -> list[Choice]:
    """Return the next few months (named in the customer's language), Ramadan and Hajj."""
    today = ctx.clock.now().astimezone(ctx.tz).date()
    names = get_month_names("wide", locale=t.code)
    english = get_month_names("wide", locale="en")
    choices = []
    for offset in range(MONTHS_SHOWN):
        month = (today.month - 1 + offset) % 12 + 1
        year = today.year + (today.month - 1 + offset) // 12
        when = date(year, month, 1)
        value = f"{english[month]} {when.year}"
        choices.append(Choice(f"{names[month]} {when.year}", data=value))
    choices.append(Choice(t._("Ramadan"), data="Ramadan"))
    choices.append(Choice(t._("Hajj season"), data="Hajj"))
    return choices


def _package_label(label: str, price: str) -> str:
    return f"{label} · {price}" if price else label


def _back_hint(t: Speech) -> str:
    # Translators: {back} is the word that goes one question back, e.g. BACK.
    return "\n" + t._("({back} goes one question back.)", back=word_for("back", t.code))
