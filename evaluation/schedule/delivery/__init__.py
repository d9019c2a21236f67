"""Delivery of report runs: e-mail over SMTP (``smtp``, ``message``, ``texts``) and copies to
a shared folder (``folder``)."""
