"""ConsoleChannel: the reference adapter; prints each message as the platform would show it."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable
from typing import TextIO

from bot.core.channel import Capabilities, InboundHandler
from bot.core.errors import TransientError
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage, Span

CHANNEL_NAME = ChannelName("console")


def render_console(message: OutboundMessage, *, buttons: bool = True) -> str:
    """Return the message as a terminal shows it: with buttons, or numbered as without them."""
    recipient = message.recipient
    thread = f" thread {recipient.thread_id}" if recipient.thread_id is not None else ""
    edit = f" (edit of {message.edit_of})" if message.edit_of is not None else ""
    header = (
        f"── {recipient.channel} → {recipient.chat_id} ({recipient.kind.value}{thread}){edit} ──"
    )
    body = "".join(_render_span(span, plain=not buttons) for span in message.spans)
    lines = [header, body]
    if message.choices:
        if not buttons:
            lines.append("")
            lines.extend(f"{i}. {c.label}" for i, c in enumerate(message.choices, start=1))
            if message.choice_prompt:
                lines.append(message.choice_prompt)
        else:
            lines.append("  ".join(f"[ {c.label} ]" for c in message.choices))
            lines.extend(f"    {c.label}: {c.url}" for c in message.choices if c.url)
    if message.use_template:
        lines.append("(sent as the approved template for this message kind)")
    return "\n".join(lines) + "\n"


def _render_span(span: Span, *, plain: bool) -> str:
    # A platform without buttons is a plain-text one: its markup is *bold* and _italic_.
    text = span.text
    if span.bold:
        text = _wrap(text, "*", "*") if plain else _wrap(text, "\x1b[1m", "\x1b[0m")
    if span.italic:
        text = _wrap(text, "_", "_") if plain else _wrap(text, "\x1b[3m", "\x1b[0m")
    if span.link and span.link != span.text:
        text = f"{text} ({span.link})"
    if span.quote:
        text = "\n".join(f"▌ {line}" for line in text.split("\n"))
    return text


def _wrap(text: str, start: str, end: str) -> str:
    """Mark each line's words, leaving line breaks and edge spaces outside the markers.

    ``*Commands\n*`` is not bold anywhere: WhatsApp needs the closing star on the same line,
    right after a word, and the terminal should show what the platform would.
    """
    out = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        out.append(f"{lead}{start}{core}{end}{trail}")
    return "\n".join(out)


class ConsoleChannel:
    """Prints outgoing messages; in chat mode it also feeds typed lines to the dispatcher.

    Standing in for a platform it takes that platform's name and capabilities, so features
    render for it exactly as they would for the real one (numbered options without buttons).
    """

    def __init__(
        self,
        name: str = CHANNEL_NAME,
        *,
        capabilities: Capabilities | None = None,
        on_message: InboundHandler | None = None,
        stream: TextIO | None = None,
        open_output: Callable[[], TextIO] | None = None,
        ansi: bool | None = None,
    ) -> None:
        self._name = ChannelName(name)
        self.capabilities = capabilities or Capabilities(buttons=True, edits=True)
        self._on_message = on_message
        self._stream = stream
        self._open_output = open_output
        self._owned: TextIO | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._ansi = ansi
        self.sent: list[OutboundMessage] = []

    @property
    def name(self) -> ChannelName:
        """Return the name this console stands in for."""
        return self._name

    @property
    def on_message(self) -> InboundHandler | None:
        """Return the inbound handler (used by ``minbar chat``)."""
        return self._on_message

    async def start(self) -> None:
        """Open the output file when one is configured."""
        if self._stream is None and self._open_output is not None:
            self._owned = self._open_output()
            self._stream = self._owned

    async def stop(self) -> None:
        """Close an output file this channel opened."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None
            self._stream = None

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Print the message and return a console message id."""
        stream = self._stream or sys.stdout
        text = render_console(message, buttons=self.capabilities.buttons)
        try:
            ansi = self._ansi if self._ansi is not None else stream.isatty()
            if not ansi:
                text = _strip_ansi(text)
            async with self._lock:
                stream.write(text)
                stream.flush()
        except (OSError, ValueError) as exc:  # a full disk, a broken pipe, a closed file
            raise TransientError("console_output", f"{type(exc).__name__}: {exc}") from exc
        self.sent.append(message)
        if message.edit_of is not None:
            # An edit replaces that message, which keeps its id (as on Telegram).
            return DeliveryResult(provider_message_id=message.edit_of)
        return DeliveryResult(provider_message_id=f"{self._name}-{next(self._ids)}")


def _strip_ansi(text: str) -> str:
    for code in ("\x1b[1m", "\x1b[3m", "\x1b[0m"):
        text = text.replace(code, "")
    return text
