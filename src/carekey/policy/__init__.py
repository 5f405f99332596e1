"""The organisation's security policy, one row edited by staff in the admin."""
