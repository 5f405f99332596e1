"""`carekey rotatekeys`: re-encrypt every stored TOTP secret under the newest key.

Put the new key first in CAREKEY_ENCRYPTION_KEYS, run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from carekey.mfa import vault
from carekey.mfa.models import Factor


class Command(BaseCommand):
    help = "Re-encrypt every stored TOTP secret under the newest key of CAREKEY_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        box = vault.box()
        rotated = 0
        pks = list(Factor.objects.values_list("pk", flat=True))
        for start in range(0, len(pks), 500):
            with transaction.atomic():
                batch = Factor.objects.select_for_update().filter(pk__in=pks[start : start + 500])
                for factor in batch:
                    factor.secret_ciphertext = box.rotate(factor.secret_ciphertext)
                    factor.save(update_fields=["secret_ciphertext"])
                    rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} secret(s) under the newest key.")
