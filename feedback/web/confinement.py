"""Accounts kept to their own pages: a department's desk, a deputy's phone.

Every other staff page (inboxes, stations, suggestions, reports) is the town office's, so a
confined account asking for one is told it is not there (404), and GET /admin/ opens its
own page. What it may read there is feedback.access's rule; this only keeps it in place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask import Blueprint, abort, g, redirect, request, url_for


def confine(bp: Blueprint, role: str, home: str, own: Iterable[str], open_to: set[str]) -> None:
    """Keep accounts of `role` on the endpoints of the blueprints `own` (name prefixes such
    as "desk.") and `open_to`; registered on `bp`, which must come after auth's blueprint
    (its load_user runs first)."""
    prefixes = tuple(own)

    @bp.before_app_request
    def confined():
        user = g.get("user")
        if not user or user["role"] != role or not request.path.startswith("/admin"):
            return None
        endpoint = request.endpoint or ""
        if endpoint.startswith(prefixes) or endpoint in open_to:
            return None
        if request.method == "GET" and endpoint == "home.index":
            return redirect(url_for(home))
        abort(404)


def role_required(role: str) -> Callable[[Callable], Callable]:
    """A view for accounts of `role` only: signed out, to the login; any other role, 404."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if g.user["role"] != role:
                abort(404)
            return view(**kwargs)

        return wrapped

    return decorate
