"""WhatsApp through Twilio: the REST client, the channel's shared state, text
formatting, and the sender that delivers messages the city starts."""
