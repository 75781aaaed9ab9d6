"""Server-rendered pages of the service (the product dashboard)."""
