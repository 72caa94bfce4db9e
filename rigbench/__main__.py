"""The entry point: ``python -m rigbench`` and the ``rigbench`` console script (``rigbench.__main__:main``).

Loading the command line (click, rich, rigbench.cli) takes tens of milliseconds, and until ``main`` installs the
CLI's own handling (``rigbench.signals``) a Ctrl-C would end in a ``KeyboardInterrupt`` traceback out of whatever
import it landed in. So the first thing done here, before that import, is a minimal SIGINT handler that says the
same line the CLI says for a later Ctrl-C and exits 130 (128 + SIGINT, as ``rigbench.signals`` does); nothing has
been measured or written yet, so there is nothing to clean up. ``main`` replaces it as it starts. (SIGTERM and SIGHUP
need nothing: their default action ends the process without a word.)
"""

import os
import signal

_INTERRUPTED = b"rigbench: interrupted by the user (Ctrl-C)\n"   # signals.reason(SIGINT), as main() says it


def _interrupted_while_loading(signum, frame):
    try:
        os.write(2, _INTERRUPTED)
    except OSError:         # stderr closed: nothing to say it on
        pass
    os._exit(128 + signal.SIGINT)


signal.signal(signal.SIGINT, _interrupted_while_loading)

from rigbench.cli import main  # noqa: E402  (after the handler, on purpose)

if __name__ == "__main__":
    main()
