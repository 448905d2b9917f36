"""The Rasa bot: config, domain, credentials, channels and NLU components."""
