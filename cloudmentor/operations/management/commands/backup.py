from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudmentor.operations.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one checked backup of the database into OPERATIONS_BACKUP_DIR (encrypted when "
        "OPERATIONS_BACKUP_ENCRYPTION_KEY is set) and delete the backups older than "
        "OPERATIONS_BACKUP_RETENTION_DAYS (TR-5)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, help="Write into this folder instead of OPERATIONS_BACKUP_DIR.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made, deleted = backup_create(directory=options["dir"])
        except BackupError as error:
            raise CommandError(error.message) from error
        encrypted = " (encrypted)" if made.is_encrypted else ""
        self.stdout.write(f"Backup written: {made.path}{encrypted}")
        for backup in deleted:
            self.stdout.write(f"Expired backup deleted: {backup.path}")
