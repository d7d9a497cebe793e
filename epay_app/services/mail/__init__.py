"""Mail: what is queued for whom (notifications), the outbox and its sender, the demo mailbox."""
