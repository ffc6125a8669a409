"""antirelou: a self-hosted "numéro anti-relou" on a USB GSM dongle."""

__version__ = "0.1.0"
