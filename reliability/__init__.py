"""`make reliability`: CareKey under attack and failure (issue #8), in docs/reliability.md."""
