"""`python app.py --help`: how to run the bot and a summary of its settings (the README's table has the details),
in the language BOT_LANGUAGE names (bot.main reads it first)."""

from __future__ import annotations

from bot.i18n import N_, _

COMMAND = "python app.py [--sandbox] [--help]"

# One text per paragraph or group of settings, each translated whole (the names on the left stay as they are).
SECTIONS = (
    N_(
        """Runs the Slack bot that rolls back a WeChat Mini Program's online version with a second person's approval.
Over Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT (Slack's requests at POST /slack/events);
/healthz, /readyz and /metrics are served on $PORT either way. SIGTERM stops it after the work in flight."""
    ),
    N_(
        """options:
  --sandbox   run against a built-in simulated WeChat (no WeChat settings; records in
              miniprogram-rollback-sandbox.db); the same as SANDBOX=true
  --help      show this message and exit"""
    ),
    N_(
        """Settings come from the environment, or from ./.env (real environment variables win); see .env.example and
the README's Settings table. A missing or malformed one stops start-up with one line naming it (exit 2)."""
    ),
    N_(
        """Slack
  SLACK_BOT_TOKEN             required: the Bot User OAuth Token (xoxb-...)
  SLACK_APP_TOKEN             an app-level token (xapp-...): turns on Socket Mode
  SLACK_SIGNING_SECRET        required in HTTP mode: verifies Slack's requests
  SLACK_API_URL               Web API base URL (default https://slack.com/api/)"""
    ),
    N_(
        """Mini programs
  SANDBOX                     true: the simulated WeChat, as --sandbox
  ROLLBACK_CONFIG             a TOML file configuring several mini programs (see rollback.example.toml);
                              the per-program variables below must then be unset
  WECHAT_APPID                one mini program's AppID (wx + 16 hex), unless ROLLBACK_CONFIG or the sandbox
  WECHAT_TOKEN_SOURCE         stable (default), component or service
  WECHAT_APPSECRET            stable: the mini program's AppSecret
  WECHAT_COMPONENT_APPID      component: the third-party platform's AppID
  WECHAT_COMPONENT_APPSECRET  component: the platform's AppSecret
  WECHAT_COMPONENT_VERIFY_TICKET
                              component: where the ticket is kept (env:NAME, file:/path or sql:SELECT ...)
  WECHAT_AUTHORIZER_REFRESH_TOKEN
                              component: the mini program's first authorizer_refresh_token
  WECHAT_TOKEN_SERVICE_URL    service: a central token service's URL
  WECHAT_TOKEN_COMMAND        service: a command printing {"access_token": ..., "expires_in": ...}"""
    ),
    N_(
        """Approval (one mini program; in the file, per program)
  APPROVAL_TTL_SECONDS        how long a request can be approved (default 900)
  APPROVER_USER_IDS           Slack user IDs who may approve (default: anyone but the requester)
  APPROVER_USERGROUP_ID       a Slack user group whose members may approve
  ALLOWED_CHANNEL_IDS         channels where rollbacks may be requested (default: any)
  BREAK_GLASS_ENABLED         the requester may approve alone with a justification (default false)
  APPROVALS_REQUIRED          how many different people approve, 1 to 5 (default 1)
  APPROVAL_REMIND_SECONDS     reminders in the request's thread, this often (default 300; 0: off)
  ESCALATION_USERGROUP_ID     a user group the reminders page after ESCALATE_AFTER_SECONDS
  ESCALATE_AFTER_SECONDS      when reminders escalate (default 600)
  ALLOW_GUEST_APPROVERS       guests of the workspace may approve (default false)
  APPROVAL_CHANNEL_MENTION    none (default), here or channel: also page the whole channel
  VERSION_WATCH_SECONDS       how often the online version is read for changes made outside the bot
                              (default 120; 0: off)
  NOTIFY_CHANNEL_ID           the channel where such a change is posted"""
    ),
    N_(
        """WeChat, storage and serving
  WECHAT_API_BASE             WeChat API host (default https://api.weixin.qq.com)
  WECHAT_API_FALLBACK         disaster-recovery host (default https://api2.weixin.qq.com; off: none)
  WECHAT_TIMEOUT_SECONDS      how long to wait for WeChat (default 15)
  APPROVAL_LEASE_SECONDS      how long an approval's claim holds (default 60)
  DATABASE_URL                default sqlite:///miniprogram-rollback.db (sandbox: ...-sandbox.db) in the
                              working directory; postgresql+psycopg://... for several replicas
  DATABASE_TIMEOUT_SECONDS    how long to wait for the database (default 10)
  TOKEN_ENCRYPTION_KEY        Fernet key(s) sealing WeChat tokens at rest, the sealing one first
  EXPIRY_SWEEP_SECONDS        how often overdue requests are settled (default 30)
  PORT                        HTTP port (default 3000)
  METRICS_TOKEN               a bearer token /metrics then asks for (default: open, like /healthz)
  LOG_FORMAT                  text (default) or json
  LOG_LEVEL                   INFO (default), DEBUG, WARNING or ERROR"""
    ),
    N_(
        """Language
  BOT_LANGUAGE                en (default) or zh (Simplified Chinese); a program's `language` in the file
                              overrides it for that program
  USER_LOCALE                 true: replies to one person alone in their own Slack language (default false)"""
    ),
    N_("""The record, from the command line: miniprogram-rollback --help"""),
)


def usage() -> str:
    return _("usage: {command}").format(command=COMMAND)


def help_text() -> str:
    return "\n\n".join([usage(), *(_(section) for section in SECTIONS)]) + "\n"
