"""What a suggestion says, apart from its state: the count line of a drafted body, the title
as villagers may read it, and which of a selection can still be merged. Pure functions of
the rows, shared by the domain (feedback.suggestions, feedback.opinions) and the pages."""

from __future__ import annotations

import re

# The first line of a drafted body; its number is made true whenever the body is shown.
COUNT_LINE = "群众反映 {} 条:"
_COUNT_LINE = re.compile(r"^群众反映 \d+ 条:")
# What a clerk may correct at any status (feedback.suggestions.edit).
TEXT_FIELDS = ("title", "body", "category")


def body_shown(body: str, count: int) -> str:
    """The body with its drafted count line ("群众反映 5 条:") saying how many opinions stand
    behind the suggestion now: opinions join and leave after the draft was written, and the
    stored text must not keep an old number. A body the clerk rewrote without it is as typed."""
    return _COUNT_LINE.sub(COUNT_LINE.format(count), body, count=1)


def still_pending(opinions: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split a selection into the opinions that can still be merged and those handled since
    the page was drawn (another clerk merged or answered them): a draft is offered for the
    first only, never for opinions that linking would refuse (suggestions._link, in SQL)."""
    pending = [o for o in opinions if o["status"] == "new"]
    return pending, [o for o in opinions if o["status"] != "new"]


def handled_ids(handled: list[dict]) -> str:
    return "、".join(f"#{o['id']}" for o in handled)


def all_handled_message(handled: list[dict]) -> str:
    return (
        f"勾选的意见 {handled_ids(handled)} 刚刚已经处理过了(可能是别人合并或答复的),"
        "没有可以合并的了。请回到列表查看最新情况。"
    )


def public_title(title: str | None, bodies: list[str]) -> str:
    """The title as villagers may read it, or "" when it repeats words of an opinion behind
    the suggestion (older drafts copied the first opinion into the title): each villager sees
    only their own words, never another's."""
    shown = " ".join((title or "").split()).removesuffix("…").strip()
    if not shown:
        return ""
    if any(shown in " ".join(body.split()) for body in bodies):
        return ""
    return title or ""


def neutral_title(places: list[str], label: str) -> str:
    """ "关于六龙村的市容市貌问题": the title drafted from the places and the category alone,
    never from a villager's words; what the public board shows until the clerk writes one."""
    places = list(dict.fromkeys(p for p in places if p)) or ["本镇"]
    place = "、".join(places) if len(places) <= 3 else f"{places[0]}等 {len(places)} 处"
    title = f"关于{place}的{label}问题"
    if len(title) > 60:
        title = f"关于{places[0]}等地的{label}问题"[:60]
    return title
