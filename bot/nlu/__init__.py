"""The content editors' model work that needs Rasa: training a commit of the
training data, evaluating a model on the held-out sets, the trainer worker
that does both for the backend's editor tool, and its command line
(`python -m bot nlu ...`)."""
