"""Log formatting that keeps each record on one line, tracebacks included.

A multi-line traceback in a shared log is hard to grep and can carry request data, so an
exception is reduced to its type, message and the innermost frame of this project.
"""

import logging
import time
import traceback

MAX_MESSAGE_CHARS = 300


class OneLineFormatter(logging.Formatter):
    # Times are in UTC with a Z, whatever TIME_ZONE is, so log lines of all processes sort.
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def formatException(self, exc_info) -> str:  # noqa: N802  Overrides the stdlib name.
        error_type, error, trace = exc_info
        frames = traceback.extract_tb(trace)
        location = ""
        if frames:
            frame = frames[-1]
            location = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
        message = " ".join(str(error).split())[:MAX_MESSAGE_CHARS]
        return f"{error_type.__name__}: {message}{location}"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\n", " | ")
