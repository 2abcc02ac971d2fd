"""Your App (demo): a small generic app Syncdeck syncs GHL contacts into."""
