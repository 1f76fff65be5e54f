"""``python -m scratchnet.exercises``: see ``scratchnet.exercises.command``."""

import os
import sys

from scratchnet.exercises.command import INTERRUPTED, main

if __name__ == "__main__":
    status = main()
    if status == INTERRUPTED:
        # CPython 3.11 remembers a Ctrl-C that landed inside an exec or eval of a string (a
        # dataclass being built, say) and, at exit, ends the process by SIGINT although main
        # caught it. Leave at once instead, with the status a shell gives a Ctrl-C.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)
    sys.exit(status)
