"""Exit statuses of every antirelou command and of the service: one list (sysexits.h).

systemd's unit refers to CONFIG (RestartPreventExitStatus=78: a wrong PIN stays wrong).
"""

OK = 0
ALTERED = 1  # `verify`: the log or an export was altered or is incomplete
NOT_RUNNING = 3  # as `systemctl status` and LSB init scripts say "not running"
USAGE = 64  # a command line that makes no sense
DATAERR = 65  # a number or value typed by the user that is not valid
UNAVAILABLE = 69  # the modem or the database cannot be used
SOFTWARE = 70  # a failure of ours: logged as one critical line
CANTCREAT = 73  # setup: a configuration is already there (--replace replaces it)
NOPERM = 77  # setup: run without the rights to write /etc/antirelou (sudo)
CONFIG = 78  # the configuration (or the SIM's PIN) is wrong: fix it, then start again
INTERRUPTED = 130  # Ctrl-C
