"""Run work that a response need not wait for once the response has been sent.

Django sends `request_finished` when the WSGI server closes the response, which gunicorn does
after the last byte went out. Work queued during a request runs then, in the same thread.
Outside a request (the sync command, a shell, a test calling a service directly) it runs at
once.
"""

import logging
import threading
from collections.abc import Callable

from django.core.signals import request_finished, request_started
from django.db import connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

_state = threading.local()


def call_after_response(function: Callable[[], None]) -> None:
    """Call `function` after the current response is sent, or now outside a request."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        function()
    else:
        pending.append(function)


def _run(pending: list[Callable[[], None]]) -> None:
    for function in pending:
        try:
            function()
        except Exception:
            # The response is already sent, so this log line is the only trace of the error.
            logger.exception("Work deferred until after the response failed.")


@receiver(request_started, dispatch_uid="tickets.after_response.start")
def _start_request(**kwargs) -> None:
    # A request that ended without `request_finished` (an exception the test client re-raises)
    # leaves its work behind. It runs now rather than never.
    leftover = getattr(_state, "pending", None)
    _state.pending = []
    if leftover:
        _run(leftover)


@receiver(request_finished, dispatch_uid="tickets.after_response.finish")
def _finish_request(**kwargs) -> None:
    pending = getattr(_state, "pending", None)
    _state.pending = None
    if not pending:
        return
    _run(pending)
    # Django closed the request's database connections before this receiver ran, and the work
    # may have opened new ones. A connection inside a transaction (a test's) stays open.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
