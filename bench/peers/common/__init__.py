"""What the peer projects share: settings, the floor view, bench users, sessions, pools."""
