"""Wrapped drawn: the share card (Pillow) and the story page (Jinja2), both from a report."""
