"""A simulated USB GSM dongle (Huawei-like) on a real pseudo-terminal.

pyserial and python-gsmmodem talk to it exactly as to hardware: it answers AT commands
(3GPP TS 27.005 / 27.007, PDU mode) on the slave side of a pty, stores SMS that "arrive from
the network" (inject), and records what the host sends (AT+CMGS). Hardware faults (unplug,
hang, reboot, garbage…) are methods of SimulatedDongle; each is recorded in `faults_log`.

The modules, from the host's bytes inwards:
- dongle: SimulatedDongle, the façade (start/stop, inject, faults, what was sent and stored)
  and the serving loop that turns bytes into command lines, faults and answers;
- port: the pty and its stable link, the serving thread, paced writes, the hang clock;
- commands: the AT command set, a pure function of (ModemState, command line);
- state: ModemState, everything the modem holds, and what power-up and ATZ reset;
- storage: the SIM's storages and the network queue in front of them;
- sent: what the host sent, segments and joined messages;
- faults: Fault and its hooks, the faults armed by name, malformed PDUs;
- network_pdu: the network side of the PDU codec (SMS-DELIVER encoding, SMS-SUBMIT decoding).
"""

from antirelou.simulator.dongle import SimulatedDongle, serve_forever
from antirelou.simulator.faults import MALFORMED_KINDS, Fault
from antirelou.simulator.sent import SentMessage

__all__ = ["MALFORMED_KINDS", "Fault", "SentMessage", "SimulatedDongle", "serve_forever"]
