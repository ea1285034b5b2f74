"""``python -m trtready``: the same command line as ``trtready``."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
