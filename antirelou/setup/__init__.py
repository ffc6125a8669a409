"""`antirelou setup`: find the dongle, ask what is needed, write the configuration.

Pure parts (no port, no file): `dongles` (the built-in table of known dongles), `ports`
(which serial port of a dongle is its AT port, which must never be written to, and the name
that survives replugs), `config_file` (the configuration written from the example file),
`udev` (the udev rule generated from the table) and `units` (antirelou.service generated from
antirelou@.service). I/O: `system` (what is plugged in, who holds what, systemctl), `probe`
(AT on one port, short time-outs) and `wizard` (the questions, in order).
"""
