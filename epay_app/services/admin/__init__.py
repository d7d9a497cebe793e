"""Administration: group settings, PSP accounts and their secrets, legal identity, start checks."""
