"""Work deferred until the response is sent: the mirror write-through of a live fetch."""

import logging

from tickets import after_response
from tickets.after_response import call_after_response

# The receivers are called directly: sending Django's request signals would also run its
# database connection handling, which these tests do not need.
start_request = after_response._start_request
finish_request = after_response._finish_request


def test_call_outside_request_runs_at_once():
    calls = []

    call_after_response(lambda: calls.append("done"))

    assert calls == ["done"]


def test_call_during_request_waits_for_finish(db):
    calls = []
    start_request()

    call_after_response(lambda: calls.append("done"))
    waiting = list(calls)
    finish_request()

    assert waiting == []
    assert calls == ["done"]


def test_failing_call_is_logged_and_others_run(caplog, db):
    calls = []

    def fail():
        raise RuntimeError("boom")

    start_request()
    call_after_response(fail)
    call_after_response(lambda: calls.append("done"))
    with caplog.at_level(logging.ERROR, logger="tickets.after_response"):
        finish_request()

    assert calls == ["done"]
    assert "Work deferred until after the response failed." in caplog.text


def test_leftover_work_runs_at_next_start(db):
    calls = []
    start_request()
    call_after_response(lambda: calls.append("left"))

    start_request()
    finish_request()

    assert calls == ["left"]
