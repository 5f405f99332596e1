"""CareKey: the security module of a patient portal."""
