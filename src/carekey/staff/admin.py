"""The support desk's admin, registered when Django discovers this app's admin module.

Each screen lives in a module of its own: patients (and "Reset MFA"), the audit trail,
the organisation security policy.
"""

from __future__ import annotations

from carekey.staff import audit_trail, clients, patients, policy

__all__ = ["audit_trail", "clients", "patients", "policy"]
