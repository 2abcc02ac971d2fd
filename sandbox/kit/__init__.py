"""What every simulator shares: delayed webhook delivery, fault injection, control views."""
