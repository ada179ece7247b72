"""The only code that talks to a payment processor."""
