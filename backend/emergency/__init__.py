"""Emergencies handed to live 112 operators (issue 12).

- agencies.py: who is dispatched for which emergency (data/agencies.yml);
- incidents.py: an incident's life, each change with its timeline entry,
  its live alert and what it must send, in one transaction;
- shifts.py: which operators are on duty;
- sends.py: messages to the citizen, pausing and resuming the bot, calls;
- escalation.py: an incident nobody accepted in time;
- citizen.py: the citizen's later messages, from the conversation pipeline;
- api.py: the action server's way in (creating and annotating incidents).
"""
