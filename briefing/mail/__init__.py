"""How bytes get on the wire for every kind of mail.

Senders, prepared MIME, SMTP steps, headers, per-reader slots, DKIM.
"""
