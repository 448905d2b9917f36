"""Custom NLU components (referenced by module path in bot/config.yml)."""
