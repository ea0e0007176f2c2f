"""Domain records: what repositories hand to features (frozen dataclasses, standard library only).

Features never see ORM rows. A repository reads its rows and returns these records; a feature
that wants a change asks the repository by name. Like ``bot.core``, this package imports only
the standard library and ``bot.core`` (``tests/test_layers.py`` fails otherwise).
"""
