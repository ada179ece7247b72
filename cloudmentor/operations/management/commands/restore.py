from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudmentor.operations.backups import BackupError, backup_inspect, backup_restore


class Command(BaseCommand):
    help = (
        "Replace the database with a backup made by `manage.py backup` (TR-5). --dry-run checks the "
        "file and says what it would replace, changing nothing. Stop the site first (or --force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file (cloudmentor-<UTC time>-<kind>…).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; change nothing.")
        parser.add_argument("--force", action="store_true", help="Restore even though the site is running.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["dry_run"]:
                inspection = backup_inspect(path=options["file"])
                self.stdout.write(
                    f"{inspection.path} is a sound {inspection.kind} backup ({inspection.tables} tables"
                    f"{', encrypted' if inspection.is_encrypted else ''}). "
                    f"Restoring it would replace {inspection.target}. Nothing was changed (dry run)."
                )
                return
            inspection = backup_restore(path=options["file"], force=options["force"])
        except BackupError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Restored {inspection.target} from {inspection.path} ({inspection.tables} tables). "
            "Run `manage.py migrate` if this code is newer than the backup, then start the site."
        )
