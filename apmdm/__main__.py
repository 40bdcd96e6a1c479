"""``python -m apmdm``: the same command line as the ``apmdm`` script."""

import sys

from apmdm.checks.cli import main

if __name__ == "__main__":
    sys.exit(main())
