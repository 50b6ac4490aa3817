"""`feedback notify`: send the text messages waiting in the outbox (run by a systemd timer)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import notify_send, sms
from feedback.context import get_db


def policy_from(config: Mapping[str, Any]) -> notify_send.Policy:
    return notify_send.Policy(
        base_url=config["FEEDBACK_BASE_URL"],
        batch=config["FEEDBACK_SMS_BATCH"],
        max_attempts=config["FEEDBACK_SMS_MAX_ATTEMPTS"],
        reconcile_after=config["FEEDBACK_SMS_RECONCILE_AFTER"],
        expire_hours=config["FEEDBACK_SMS_EXPIRE_HOURS"],
    )


@click.command("notify")
@click.option("--json", "as_json", is_flag=True, help="Print the run's figures as JSON.")
@with_appcontext
def notify_command(as_json: bool) -> None:
    """Send the waiting text messages (merged / answered) through the configured provider,
    settling first any send a killed run left unfinished; retries wait with back-off."""
    config = current_app.config
    try:
        settings = sms.settings_from(config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    lock = Path(f"{config['FEEDBACK_DATABASE']}-notify.lock")
    report = notify_send.run(
        get_db(), notify_send.provider_for(settings), policy_from(config), lock
    )
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False))
    elif not report.configured:
        click.echo(
            f"No SMS provider configured (FEEDBACK_SMS_PROVIDER): nothing sent; "
            f"{report.waiting} message(s) waiting in the outbox"
        )
    elif report.busy:
        click.echo("Another `feedback notify` is running; nothing done")
    else:
        click.echo(
            f"Sent {report.sent}, retry later {report.retry}, failed {report.failed}, "
            f"no answer {report.unknown}; settled after an interrupted run: "
            f"{report.reconciled} found at the provider, {report.requeued} sent again; "
            f"expired {report.expired}; opted out by reply {report.opted_out}; "
            f"{report.waiting} waiting"
        )
        for note in report.notes:
            click.echo(note, err=True)
    if report.halted:
        raise click.ClickException(
            f"the provider refused our configuration ({report.halted}); check the keys, "
            "FEEDBACK_SMS_SIGN_NAME and the templates; the messages wait"
        )
