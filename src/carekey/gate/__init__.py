"""The access gate: who reaches what, answered in each face's language."""
