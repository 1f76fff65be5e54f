"""``python -m scratchnet.exercises``: see ``scratchnet.exercises.command``."""

import sys

from scratchnet.exercises.command import main

if __name__ == "__main__":
    sys.exit(main())
