"""What each delivery problem means and what an admin does about it, in words.

Keyed by the neutral error keys the adapters produce (``bot.channels.*.errors``), so the
alert job, /destinations and /status explain a problem the same way. The texts are marked
for translation here and said in the reader's language by :func:`fix_for`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, Speech


@dataclass(frozen=True, slots=True)
class Fix:
    """A problem's meaning and the admin's next step (``{where}`` and ``{ref}`` filled in).

    Both are English msgids, translated where they are said.
    """

    meaning: str
    action: str
    channel_wide: bool = False
    """True when the whole platform is affected (the sender, a template), not one chat."""


# Each text is a msgid said as "meaning: action". {where} is the name of a chat or channel,
# {ref} its reference (telegram:-100...); the catalogues keep /resume, config.toml, the
# bracketed config sections and product names as they are.
_FIXES: dict[str, Fix] = {
    "cannot_post": Fix(
        N_("the bot may not post there"),
        # Translators: 'Post messages' is the name of the admin right as Telegram shows it.
        N_("make the bot an admin of {where} with 'Post messages', then /resume {ref}"),
    ),
    "not_member": Fix(
        N_("the bot is not a member any more"),
        N_("add the bot to {where} again (as an admin for a channel), then /resume {ref}"),
    ),
    "kicked": Fix(
        N_("the bot was removed"),
        N_("add the bot to {where} again (as an admin for a channel), then /resume {ref}"),
    ),
    "chat_not_found": Fix(
        N_("no such chat, or the bot was never added"),
        # Translators: /chatid is a command; keep it.
        N_(
            "check the chat id of {where} in config.toml [relay.destinations] (/chatid in the "
            "chat shows it), add the bot, then /resume {ref}"
        ),
    ),
    "chat_deleted": Fix(
        N_("the chat was deleted"), N_("remove {where} from config.toml [relay.destinations]")
    ),
    "blocked": Fix(
        N_("the person blocked the bot"), N_("ask them to unblock it, then /resume {ref}")
    ),
    "invalid_sender": Fix(
        N_("the WhatsApp sender is not approved, or was suspended"),
        # Translators: "Messaging > Senders" is a menu of the Twilio console (in English there);
        # whatsapp.from_number is a setting name. Keep both.
        N_("check the sender in the Twilio console (Messaging > Senders) and whatsapp.from_number"),
        channel_wide=True,
    ),
    "sender_account_problem": Fix(
        N_("the WhatsApp Business account has an eligibility or payment problem"),
        N_("open the account's notices in Meta Business Manager and the Twilio console"),
        channel_wide=True,
    ),
    "template_missing": Fix(
        N_("the template does not exist (or not in that language)"),
        # Translators: ContentSid is the name of a setting; keep it.
        N_(
            "check the ContentSid in config.toml [whatsapp.templates] and its approval in the "
            "Twilio Content Template Builder"
        ),
        channel_wide=True,
    ),
    "template_variables_invalid": Fix(
        N_("the template's variables do not match what was sent"),
        N_("compare the template's placeholders with [whatsapp.templates] in config.toml"),
        channel_wide=True,
    ),
    "outside_window": Fix(
        N_(
            "not sent: more than 24 hours since the person last wrote, and no template for "
            "this kind of message"
        ),
        N_("add an approved template for it in config.toml [whatsapp.templates]"),
        channel_wide=True,
    ),
    "channel_unavailable": Fix(
        N_("the platform refuses the bot's credentials (token or account revoked or changed)"),
        # Translators: MINBAR_TELEGRAM__TOKEN and MINBAR_TWILIO__AUTH_TOKEN are environment
        # variable names; keep them exactly.
        N_(
            "set the new credentials in the environment (MINBAR_TELEGRAM__TOKEN, "
            "MINBAR_TWILIO__AUTH_TOKEN) and restart; messages wait until then"
        ),
        channel_wide=True,
    ),
    "invalid_number": Fix(N_("not a valid phone number"), N_("correct or remove {where}")),
    "body_too_long": Fix(
        N_("the message was longer than the platform allows"),
        N_("shorten the message or its template"),
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


def fix_for(t: Speech, error_key: str, where: str, ref: str) -> str | None:
    """Return "meaning: action" for ``error_key`` in ``t``'s language, or None when unknown."""
    fix = _FIXES.get(error_key)
    if fix is None:
        return None
    return f"{t._(fix.meaning)}: {t._(fix.action, where=where, ref=ref)}"


def is_channel_wide(error_key: str) -> bool:
    """Return whether ``error_key`` concerns the whole platform rather than one chat."""
    fix = _FIXES.get(error_key)
    return fix is not None and fix.channel_wide
