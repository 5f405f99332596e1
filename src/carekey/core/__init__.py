"""The pure core: TOTP, recovery codes, encryption, QR codes. No Django (import-linter)."""
