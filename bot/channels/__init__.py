"""Custom Rasa channels: WhatsApp through Twilio (whatsapp.py)."""
