"""One module per group of `antirelou` commands; `antirelou.cli` parses and dispatches."""
