"""The change feed delivers each (payment, change time) once — a catch-up after a reconnect
overlaps what the feed heard — and forgets what it delivered after twice the catch-up margin,
oldest first, without scanning all it remembers at each notification."""

from __future__ import annotations

from epay_app.services.dashboards import change_feed
from epay_app.services.dashboards.change_feed import Change, ChangeFeed


def _change(payment_id: int, at: float) -> Change:
    return Change(payment_id, 1, 2, 3, None, "envoye", "paye", at)


def test_a_change_heard_twice_is_delivered_once_and_forgotten_after_the_horizon(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(change_feed.time, "monotonic", lambda: clock[0])
    feed = ChangeFeed(db_url="sqlite://")
    delivered: list = []
    feed._subscribers.add(delivered.append)  # subscribe() would start the listener

    feed._publish([_change(1, 10.0), _change(2, 11.0)])
    feed._publish([_change(1, 10.0)])  # the catch-up repeats a change
    assert delivered == [[_change(1, 10.0), _change(2, 11.0)]]

    clock[0] += 10
    feed._publish([_change(3, 12.0)])
    horizon = 2 * change_feed.PG_CATCH_UP_MARGIN.total_seconds()
    clock[0] += horizon - 5  # payments 1 and 2 past the horizon, 3 not yet
    feed._publish([_change(4, 13.0)])
    assert list(feed._recent) == [(3, 12.0), (4, 13.0)]
    feed._publish([_change(3, 12.0)])  # still remembered: not delivered again
    assert [c.payment_id for batch in delivered for c in batch] == [1, 2, 3, 4]


def test_it_remembers_at_most_recent_max_changes(monkeypatch):
    monkeypatch.setattr(change_feed, "RECENT_MAX", 5)
    feed = ChangeFeed(db_url="sqlite://")
    for i in range(12):
        feed._publish([_change(i, float(i))])
    assert [key[0] for key in feed._recent] == [7, 8, 9, 10, 11]
