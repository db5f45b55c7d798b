"""A fake Slack: a real local HTTP server for the Web API and for response_url posts, recording what it gets.

Point `WebClient(base_url=fake.api_url)` at it; it answers with Slack's response shapes and refuses what real Slack
refuses, each as Slack documents it (the module named cites the page), so tests catch those bugs before Slack does:

- tokens (fake.py), Block Kit limits (blockkit.py), and the block_ids Slack adds to stored blocks (blockkit.py);
- rate limits, on by default, per method and tier, per channel for chat.postMessage (rate_limits.py):
  `FakeSlack(rate_limits={...})`, `fake.set_rate_limit(method, RateLimit(...) | None)`,
  `fake.disable_rate_limits()`, `fake.rate_limit_next(method, retry_after, times)`;
- trigger_ids, single-use and valid 3 s (triggers.py): `fake.new_trigger_id()`, `fake.expire_trigger_ids()`;
- channels: public, private, DM, group DM, archived, and whether the bot is in them (channels.py):
  `fake.add_channel(id, kind, bot_member=..., archived=...)`, `fake.archive(id)`; any `C…` id is a public channel
  the bot is in unless declared otherwise;
- response_urls: 5 posts in 30 minutes, replace/delete_original, and a slash command's own URL that never
  replaces (response_urls.py): `fake.new_response_url(channel, message_ts, from_command=...)`,
  `fake.expire_response_urls()`;
- users.info with guests, Slack Connect people, strangers, deactivated accounts and bots (users.py):
  `fake.add_user("UGUEST", guest=True)`, `fake.add_user("UPARTNER", external=True)`, `stranger=True`,
  `deleted=True`, `is_bot=True`, or `fake.users[id] = {...}` for a whole answer;
- outages: `fake.outage()` answers HTTP 503 to every call until `fake.restore()`; `fake.fail_next(method, error)`.

What it received: `fake.calls`, `fake.calls_to(method)` (ApiCall, with the HTTP status), `fake.response_posts`,
`fake.posts_to(url)` (ResponseUrlPost), `fake.messages()`, `fake.message(channel, ts)`; `fake.wait_for(predicate)`.
For Socket Mode, set `socket_mode` to a started FakeSocketMode (tests/fakes/socket_mode.py): apps.connections.open
then hands out its URLs, to the app-level token only.
"""

from tests.fakes.slack.blockkit import KNOWN_BLOCK_TYPES, MESSAGE_BLOCK_LIMIT, VIEW_BLOCK_LIMIT
from tests.fakes.slack.channels import Channel, ChannelKind
from tests.fakes.slack.fake import FakeSlack
from tests.fakes.slack.rate_limits import DEFAULT_RATE_LIMITS, RateLimit
from tests.fakes.slack.records import JSON_TYPE, ApiCall, ResponseUrlPost, SlackError, SocketModeLinks
from tests.fakes.slack.triggers import TRIGGER_ID_SECONDS
from tests.fakes.slack.users import OTHER_TEAM_ID

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "JSON_TYPE",
    "KNOWN_BLOCK_TYPES",
    "MESSAGE_BLOCK_LIMIT",
    "OTHER_TEAM_ID",
    "TRIGGER_ID_SECONDS",
    "VIEW_BLOCK_LIMIT",
    "ApiCall",
    "Channel",
    "ChannelKind",
    "FakeSlack",
    "RateLimit",
    "ResponseUrlPost",
    "SlackError",
    "SocketModeLinks",
]
