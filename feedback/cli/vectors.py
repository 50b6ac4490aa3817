"""`feedback embed`: sentence embeddings for opinions that have none yet (an upgraded county's
existing opinions, or a systemd timer beside the workers' background embedder)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import embedder, vectors
from feedback.context import get_db


@click.command("embed")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Embed at most N opinions (default: every one without a vector).",
)
@with_appcontext
def embed_command(limit: int | None) -> None:
    """Embed the opinions that have no vector yet, oldest first, with every core.

    Safe while the service runs: it takes the same lock as the workers' background embedder
    (waiting for a round of theirs to end), writes one short transaction a batch, and an
    interrupted run resumes where it stopped."""
    db = get_db()
    database = current_app.config["FEEDBACK_DATABASE"]
    with embedder.embedding_lock(database, wait=False) as free:
        if not free:
            click.echo("Another process is embedding; waiting for the lock...", err=True)
    with embedder.embedding_lock(database):
        todo = vectors.pending(db)
        total = min(todo, limit) if limit else todo
        with click.progressbar(length=total, label="Embedding opinions", file=sys.stderr) as bar:
            stored = vectors.backfill(db, limit=limit, progress=bar.update)
        left = vectors.pending(db)
    click.echo(f"Embedded {stored} opinions ({left} still without a vector)")
