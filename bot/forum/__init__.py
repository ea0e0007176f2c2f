"""The forum side: where new topics come from (SMF feeds) and how their teasers are cleaned.

Import the submodules directly; this package file stays empty so that ``handlers`` can import
``bot.forum.source`` without pulling in httpx.
"""
