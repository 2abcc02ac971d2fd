"""A faithful local simulator of the HighLevel (GHL / LeadConnector) API v2."""
