"""The password lifecycle (CONTRACT §7): change it, or reset a forgotten one by email."""
