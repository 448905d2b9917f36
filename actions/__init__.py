"""The action server: custom actions for complaints, status checks and emergencies.

`python -m actions` serves them (rasa_sdk plus the outbox worker); Rasa loads
the action classes from the modules imported here.
"""

from actions import emergency, form, prompts, status, submit  # noqa: F401  (registers the actions)
