"""Client for Sendcloud's Support API and a local simulator of that API."""
