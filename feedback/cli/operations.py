"""Commands for running the service: backups and the retention purge."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import backup, retention
from feedback.context import get_db


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-photos", is_flag=True, help="Copy only the database, not FILE.photos/.")
@with_appcontext
def backup_command(file: Path, no_photos: bool) -> None:
    """Copy the database to FILE while the service keeps running, and the photos to
    FILE.photos/ (only the new ones when it already exists)."""
    source = Path(current_app.config["FEEDBACK_DATABASE"])
    if not source.is_file():
        raise click.ClickException(f"no database at {source}; run `feedback init` first")
    click.echo(f"Copying {source} ({source.stat().st_size / 1e6:.1f} MB)...", err=True)
    try:
        rows = backup.copy_database(source, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {source} to {file} ({rows} opinions, integrity check ok)")
    if no_photos:
        return
    # After the database: every opinion in the copy already has its photo files on disk.
    photos = Path(current_app.instance_path) / "photos"
    files, folder = backup.photo_files(photos), backup.photos_folder_for(file)
    with click.progressbar(
        length=len(files), label="Copying photos", file=click.get_text_stream("stderr")
    ) as bar:
        copied = backup.copy_photos(files, photos, folder, bar.update)
    click.echo(f"Photos: {copied} new of {len(files)} copied to {folder}")


@click.command("purge-contacts")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    metavar="DAYS",
    help="Retention period in days (default FEEDBACK_CONTACT_RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only count the opinions that would lose them.")
@with_appcontext
def purge_contacts_command(days: int | None, dry_run: bool) -> None:
    """Remove names and phone numbers from opinions older than DAYS; the opinions stay."""
    days = days or current_app.config["FEEDBACK_CONTACT_RETENTION_DAYS"]
    db = get_db()
    before = retention.cutoff(days)
    if dry_run:
        count = retention.count_contacts(db, days)
        click.echo(
            f"{count} opinion(s) from before {before} have a name or phone number; "
            "nothing changed (dry run)"
        )
        return
    supporters = retention.count_supporter_phones(db, days)
    purged = retention.purge_contacts(db, days, actor="cli")
    click.echo(
        f"Removed names and phone numbers from {purged} opinion(s) created before "
        f"{before}; logged in the audit log"
    )
    if supporters:
        click.echo(f"Removed the phone numbers of {supporters} supporter(s) (我也遇到) too")
