"""Log records stay on one line, so no traceback reaches the log."""

import logging
import sys

from config.logging import OneLineFormatter


def test_exception_is_logged_on_one_line():
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad value\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Failed", None, True)
        record.exc_info = sys.exc_info()

    text = formatter.format(record)

    assert "\n" not in text
    assert "Traceback" not in text
    assert "ValueError: bad value second line at test_logging.py" in text
