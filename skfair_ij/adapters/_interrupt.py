"""Ctrl-C during training always reaches the caller.

skorch catches ``KeyboardInterrupt`` in ``partial_fit`` and returns the net as
trained so far, so a fit interrupted after one epoch would go on to edit (or
report) a half-trained model. While a model trains, SIGINT is noted on its way
to the usual handler; once training returns, a noted interrupt is raised again.
"""

import contextlib
import signal
import threading

INTERRUPTED = "Training was interrupted (Ctrl-C); no result is returned from a model cut short."


@contextlib.contextmanager
def interrupts_reach_caller():
    """Re-raise a ``KeyboardInterrupt`` that the training code swallowed.

    Signal handlers belong to the main thread: elsewhere this does nothing
    (SIGINT is delivered to the main thread anyway).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN or previous is None:
        yield
        return
    interrupted = []

    def note(signum, frame):
        interrupted.append(signum)
        if callable(previous):
            previous(signum, frame)  # Python's default raises KeyboardInterrupt
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt(INTERRUPTED)
