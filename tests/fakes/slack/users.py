"""users.info, shaped as Slack answers it (docs.slack.dev/reference/methods/users.info; the user object:
docs.slack.dev/reference/objects/user-object).

The flags tests set, each as Slack documents it:
- `is_restricted`: a guest (multi-channel guest); `is_ultra_restricted`: a single-channel guest, which Slack marks
  with both flags. `fake.add_user("UGUEST", guest=True)` or `guest="single"`.
- `team_id` other than the workspace's: a Slack Connect person from another organisation, in a channel shared with
  it: `fake.add_user("UPARTNER", external=True)`. `is_stranger`: "this user belongs to a different workspace …
  and isn't in any shared channels visible to your app's token": `fake.add_user("USTRANGER", stranger=True)`.
- `deleted`: a deactivated account (users.info still answers ok): `fake.add_user("UGONE", deleted=True)`.
- `is_bot`: another app's bot user: `fake.add_user("UOTHERBOT", is_bot=True)`.
- `locale`: the user's language ("en-US" unless given: `fake.add_user("U1", locale="zh-CN")`), answered only when
  users.info is asked with `include_locale=true`, as Slack does.
Any other field: `fake.add_user("U1", tz="Asia/Shanghai")`. `fake.users[user_id]` holds the whole answer and may
be set directly. An id never added answers as a plain member of the workspace if it starts with U or W, and
`user_not_found` otherwise.
"""

from __future__ import annotations

from typing import Any, Literal

OTHER_TEAM_ID = "T0PARTNER"  # the Slack Connect organisation external users come from
DEFAULT_LOCALE = "en-US"  # a user's `locale` unless added with another: `fake.add_user("U1", locale="zh-CN")`

Guest = bool | Literal["multi", "single"]


def user_object(
    user_id: str,
    team_id: str,
    *,
    guest: Guest = False,
    external: bool = False,
    stranger: bool = False,
    deleted: bool = False,
    is_bot: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    name = user_id[1:].lower() or user_id.lower()
    single = guest == "single"
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": OTHER_TEAM_ID if external or stranger else team_id,
        "name": name,
        "deleted": deleted,
        "color": "9f69e7",
        "real_name": name.title(),
        "tz": "UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "profile": {"real_name": name.title(), "display_name": name, "team": team_id},
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": bool(guest),
        "is_ultra_restricted": single,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
    }
    if stranger:
        user["is_stranger"] = True
    if external or stranger:
        user["profile"]["team"] = OTHER_TEAM_ID
    user.update(fields)
    return user
