"""What each delivery problem means and what an admin does about it, in words.

Keyed by the neutral error keys the adapters produce (``bot.channels.*.errors``), so the
alert job, /destinations and /status explain a problem the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fix:
    """A problem's meaning and the admin's next step (``{where}`` and ``{ref}`` filled in)."""

    meaning: str
    action: str
    channel_wide: bool = False
    """True when the whole platform is affected (the sender, a template), not one chat."""


_FIXES: dict[str, Fix] = {
    "cannot_post": Fix(
        "the bot may not post there",
        "make the bot an admin of {where} with 'Post messages', then /resume {ref}",
    ),
    "not_member": Fix(
        "the bot is not a member any more",
        "add the bot to {where} again (as an admin for a channel), then /resume {ref}",
    ),
    "kicked": Fix(
        "the bot was removed",
        "add the bot to {where} again (as an admin for a channel), then /resume {ref}",
    ),
    "chat_not_found": Fix(
        "no such chat, or the bot was never added",
        "check the chat id of {where} in config.toml [relay.destinations] (/chatid in the chat "
        "shows it), add the bot, then /resume {ref}",
    ),
    "chat_deleted": Fix(
        "the chat was deleted", "remove {where} from config.toml [relay.destinations]"
    ),
    "blocked": Fix("the person blocked the bot", "ask them to unblock it, then /resume {ref}"),
    "invalid_sender": Fix(
        "the WhatsApp sender is not approved, or was suspended",
        "check the sender in the Twilio console (Messaging > Senders) and whatsapp.from_number",
        channel_wide=True,
    ),
    "sender_account_problem": Fix(
        "the WhatsApp Business account has an eligibility or payment problem",
        "open the account's notices in Meta Business Manager and the Twilio console",
        channel_wide=True,
    ),
    "template_missing": Fix(
        "the template does not exist (or not in that language)",
        "check the ContentSid in config.toml [whatsapp.templates] and its approval in the "
        "Twilio Content Template Builder",
        channel_wide=True,
    ),
    "template_variables_invalid": Fix(
        "the template's variables do not match what was sent",
        "compare the template's placeholders with [whatsapp.templates] in config.toml",
        channel_wide=True,
    ),
    "outside_window": Fix(
        "not sent: more than 24 hours since the person last wrote, and no template for this "
        "kind of message",
        "add an approved template for it in config.toml [whatsapp.templates]",
        channel_wide=True,
    ),
    "channel_unavailable": Fix(
        "the platform refuses the bot's credentials (token or account revoked or changed)",
        "set the new credentials in the environment (MINBAR_TELEGRAM__TOKEN, "
        "MINBAR_TWILIO__AUTH_TOKEN) and restart; messages wait until then",
        channel_wide=True,
    ),
    "invalid_number": Fix("not a valid phone number", "correct or remove {where}"),
    "body_too_long": Fix(
        "the message was longer than the platform allows", "shorten the message or its template"
    ),
}

CHURN_KEYS = frozenset(
    {
        "blocked",
        "deactivated",
        "kicked",
        "not_member",
        "chat_deleted",
        "not_started",
        "forbidden",
        "opted_out",
        "not_on_whatsapp",
        "invalid_recipient",
        "invalid_number",
        "not_mobile",
    }
)
"""Keys that, for a subscriber's private chat, are a person leaving: counted, never alerted."""


def fix_for(error_key: str, where: str, ref: str) -> str | None:
    """Return "meaning: action" for ``error_key`` with the chat named, or None when unknown."""
    fix = _FIXES.get(error_key)
    if fix is None:
        return None
    return f"{fix.meaning}: {fix.action.format(where=where, ref=ref)}"


def is_channel_wide(error_key: str) -> bool:
    """Return whether ``error_key`` concerns the whole platform rather than one chat."""
    fix = _FIXES.get(error_key)
    return fix is not None and fix.channel_wide
