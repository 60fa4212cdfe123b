"""`python -m sovereign` is the `sovereign` command."""

import sys

from .cli import main

sys.exit(main())
