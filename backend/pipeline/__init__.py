"""The conversation pipeline: Rasa's event broker -> the backend database.

Rasa publishes every event of every conversation through its event broker:
`pika` (RabbitMQ) in production, `sql` (a table `events` in a database of
its own) under `make run`. `python -m backend consume` reads one of them and
writes conversations, messages and bot actions into the backend database
(backend/tables.py: conversations, conversation_events), announcing each
message to the console (backend/live.py) in the same transaction.

- events.py: one Rasa event -> one row (pure): what is kept, what is masked,
  and event_key, the event's identity whichever broker carried it;
- store.py: a batch of rows written idempotently (ON CONFLICT DO NOTHING on
  event_key), conversation counters, live events last;
- daily.py: the day counts of the monitoring figures, added in the same
  transaction (they outlive the purged conversations);
- sql_source.py: reads after a cursor kept in the backend database and moves
  it in the same transaction as the rows: exactly once;
- rabbit_source.py: acknowledges after the commit; a redelivery is a no-op;
- consumer.py: the process loop, signals, retry with backoff.

Exactly once = at-least-once delivery (nothing acknowledged or passed before
its commit) + idempotent writes (event_key unique). docs/pipeline.md has the
design, the operations and the measured delay.
"""
