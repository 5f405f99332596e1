"""The audit trail: SecurityEvent rows written through `record()`."""
