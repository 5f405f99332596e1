"""The portal pages: layout, home, sign-in and the security page."""
