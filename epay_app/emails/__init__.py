"""Customer and staff e-mails: jinja2 templates (HTML + text), the renderer, the demo SMTP sink."""
