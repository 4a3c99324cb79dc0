"""`python3 -m peers`, with scripts/ on the path: the same command as scripts/frameworks.py."""

import sys

from .cli import main

sys.exit(main())
