"""A simulated USB GSM dongle on a real pseudo-terminal, playing a family of real ones.

pyserial and python-gsmmodem talk to it exactly as to hardware: it answers AT commands
(3GPP TS 27.005 / 27.007, PDU mode) on the slave side of a pty, stores SMS that "arrive from
the network" (inject), and records what the host sends (AT+CMGS). Hardware faults (unplug,
hang, reboot, garbage…) are methods of SimulatedDongle; each is recorded in `faults_log`.
It rings incoming calls too. A profile (PROFILES: generic, huawei, zte, simcom, quectel) says
how the family behaves where real dongles differ: storages, index base, boot, noise, prompt…

The modules, from the host's bytes inwards:
- dongle: SimulatedDongle, the façade (start/stop, inject, calls, faults, what was sent and
  stored);
- serving: its serving loop, which turns bytes into command lines, faults and answers;
- port: the pty and its stable link, the serving thread, paced writes, the hang clock;
- commands: the AT command set, a pure function of (ModemState, command line);
- state: ModemState, everything the modem holds, what power-up and ATZ reset, and what
  comes with time (the SMS service ready, rings, noise);
- profiles: Profile, the knobs of each family of dongles, from the research (modems.md);
- storage: the storages (MT the combined one) and the network queue in front of them;
- calls: an incoming call's rings and its record;
- sent: what the host sent, segments and joined messages;
- faults: Fault and its hooks, the faults armed by name, malformed PDUs;
- network_pdu: the network side of the PDU codec (SMS-DELIVER encoding, SMS-SUBMIT decoding).
"""

from antirelou.simulator.calls import CallRecord
from antirelou.simulator.dongle import SimulatedDongle, serve_forever
from antirelou.simulator.faults import MALFORMED_KINDS, Fault
from antirelou.simulator.profiles import PROFILES, Profile
from antirelou.simulator.sent import SentMessage

__all__ = [
    "MALFORMED_KINDS",
    "PROFILES",
    "CallRecord",
    "Fault",
    "Profile",
    "SentMessage",
    "SimulatedDongle",
    "serve_forever",
]
