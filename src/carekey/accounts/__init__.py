"""Patients and staff, sign-in, portal sessions and the per-account throttle."""
