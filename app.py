"""Entry point: `python app.py [--sandbox]` runs the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on $PORT)."""

import sys

from bot.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
