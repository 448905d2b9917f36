"""The content editors' tool: the training data's git working copy, the inbox of
messages the bot was unsure about, trainings, models and their deployment.

Free of Rasa: the trainer worker that trains and evaluates models lives under
bot/ (`python -m bot nlu train`) and talks to this package through the
backend's HTTP API (backend/editor/worker_api.py).
"""
