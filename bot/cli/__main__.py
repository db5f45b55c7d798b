"""`python -m bot.cli`: the same as the installed `miniprogram-rollback`."""

import sys

from bot.cli import main

sys.exit(main())
