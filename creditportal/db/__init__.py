"""Database backends of the portal (Django's, with what production needs changed; see each module)."""
