"""Delivery reports: the rank that keeps late or repeated reports from moving a status back."""

from __future__ import annotations

import pytest

from bot.core.reports import DeliveryState, state_rank


def test_state_ranks_follow_the_delivery_order() -> None:
    """queued < sending < sent < delivered < read, and failures rank above all of them."""
    ranks = [state_rank(s) for s in ("queued", "sending", "sent", "delivered", "read")]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 5
    assert state_rank("failed") > state_rank("read")
    assert state_rank("undelivered") > state_rank("read")
    assert state_rank("unheard-of") < state_rank("queued")


def test_every_neutral_state_has_a_rank_and_case_does_not_matter() -> None:
    """Each DeliveryState is ranked (none unknown), and "READ" ranks as "read"."""
    assert all(state_rank(state) >= 0 for state in DeliveryState)
    assert state_rank("READ") == state_rank(DeliveryState.READ)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        pytest.param("queued", "sent", True, id="first-callback"),
        pytest.param("sent", "delivered", True, id="forward"),
        pytest.param("read", "delivered", False, id="late-delivered"),
        pytest.param("delivered", "delivered", False, id="duplicate"),
        pytest.param("failed", "delivered", False, id="after-terminal"),
        pytest.param("undelivered", "read", False, id="after-legacy-terminal"),
        pytest.param("read", "failed", True, id="to-failed"),
        pytest.param("sent", "bogus", False, id="unknown"),
    ],
)
def test_state_ranks_only_let_reports_move_forward(current: str, new: str, allowed: bool) -> None:
    """The rank the outbox applies lets late or duplicated reports never move a status back."""
    assert (state_rank(new) > state_rank(current)) is allowed
