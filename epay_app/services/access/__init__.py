"""Access: login, sessions, and who sees which record (scope)."""
