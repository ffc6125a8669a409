"""The one object that owns the serial port: python-gsmmodem, made safe.

python-gsmmodem speaks AT well but has habits that lose messages, so we keep
its command/response machinery and remove the rest:

* on every ``+CMTI`` it starts a thread that reads the message and deletes it
  from the SIM, even without a callback: we turn notifications into a wake-up
  of our own loop, which lists, commits, then deletes;
* its reader thread decodes each line as UTF-8 and dies silently on any other
  byte: ours replaces bad bytes and reports its own death;
* it files a notice that arrives while a command waits into that command's
  answer: we take every notice out of every answer (`unsolicited.split`);
* ``sendSms`` asks for delivery reports (``requestDelivery``) and re-probes the
  character set on every send: we send our own PDUs in two writes under the
  port's lock.

Real dongles add their own habits (modems.md): messages in several storages, settings
forgotten at every boot, messages handed over in ``+CMT`` notices, an SMS service that starts
late, a prompt without its space. Every method is called from the daemon's main thread; the
reader thread only files notices in the `Inbox`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence

import serial
from gsmmodem.exceptions import (
    CmeError,
    CmsError,
    CommandError,
    IncorrectPinError,
    PinRequiredError,
    TimeoutException,
)

from antirelou.config import ModemConfig
from antirelou.listing import Listing, parse_listing
from antirelou.modem.errors import (
    ModemError,
    ModemRefused,
    ModemTimeout,
    ModemUnavailable,
    SendFailed,
    SimLocked,
    SmsNotReady,
    not_ready,
)
from antirelou.modem.gsm import SafeGsmModem
from antirelou.modem.inbox import Inbox
from antirelou.modem.records import (
    CPMS_NAME,
    ICCID_COMMANDS,
    Identity,
    Registration,
    StorageInfo,
    offered_storages,
    parse_iccid,
    parse_imsi,
    parse_own_number,
    storage_usage,
)
from antirelou.pdu import encode_submit
from antirelou.unsolicited import split

log = logging.getLogger("antirelou.modem")

CTRL_Z = "\x1a"
ESCAPE = "\x1b"
_CMGS = re.compile(r"^\+CMGS:\s*(\d+)")
_CPMS_SET = re.compile(r"^\+CPMS:\s*(\d+)\s*,\s*(\d+)")
_CSMS = re.compile(r"^\+CSMS:\s*(\d)")
# Storages that hold received SMS. MT is ME and SM together: listed through them when the
# modem offers them apart (modems.md §1.6); SR holds status reports, which we do not ask for.
_MESSAGE_STORAGES = ("ME", "SM", "MT")
_CREG = re.compile(r"^\+CREG:\s*(?:\d,)?(\d)")
_COPS = re.compile(r'^\+COPS:\s*\d,\d,"([^"]*)"')
_CSQ = re.compile(r"^\+CSQ:\s*(\d+)")
# Bytes a full storage of PDUs can take on the wire, to size AT+CMGL's timeout.
_BYTES_PER_LISTED_SMS = 400


class Modem:
    """Given the modem section of the config, drive one dongle.

    `wake` is set whenever the modem announces new messages.
    """

    def __init__(
        self,
        config: ModemConfig,
        wake: threading.Event,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        trace: Callable[[str, str], None] | None = None,
    ) -> None:
        self.config = config
        self.trace = trace  # every line sent and received, for `antirelou check --trace`
        self.wake = wake
        self.monotonic = monotonic
        self.storages: list[StorageInfo] = []  # every storage that holds SMS, as last seen
        self.receive_storage: str | None = None  # where the network puts new SMS (mem3)
        self.identity: Identity | None = None
        self._gsm: SafeGsmModem | None = None
        self.reader_error: BaseException | None = None
        self._abandoning = False
        self._selected: str | None = None  # mem1 as we last set it
        self._acknowledge = False  # AT+CSMS service 1: every +CMT needs AT+CNMA
        self.inbox = Inbox(wake, monotonic)  # what the modem announced, for the main loop

    # --- life cycle -----------------------------------------------------------

    def open(self) -> Identity:
        """Open the port, set the modem up and unlock the SIM; return who it is.

        Raise ModemUnavailable, ModemTimeout, SimLocked or ModemRefused.
        """
        self.close()
        self.reader_error = None
        self._abandoning = False
        self._cancel_pending_input()
        gsm = SafeGsmModem(
            self.config.port,
            self.config.baudrate,
            self.inbox.notified,
            self._reader_stopped,
            self.config.command_timeout,
        )
        gsm.trace = self.trace
        self._gsm = gsm
        try:
            gsm.connect(pin=self.config.pin)
        except PinRequiredError as error:
            raise SimLocked("the SIM asks for a PIN: set modem.pin in the config") from error
        except IncorrectPinError as error:
            raise SimLocked(
                "the SIM refused the PIN in modem.pin. Check it in a phone: after 3 wrong PINs "
                "the SIM needs its PUK"
            ) from error
        except (serial.SerialException, OSError) as error:
            raise ModemUnavailable(
                f"cannot open {self.config.port}: {error}. Is the dongle plugged in, and is "
                "ModemManager kept off it?"
            ) from error
        except TimeoutException as error:
            raise ModemTimeout(f"no answer from the modem on {self.config.port}") from error
        except CommandError as error:
            if not_ready(error) or str(getattr(error, "command", "")).startswith("AT+CMGF"):
                raise SmsNotReady(
                    f"the modem's SMS service is not ready yet ({error}); it usually takes "
                    "10 to 100 s after the dongle starts"
                ) from error
            raise ModemRefused(f"modem set-up refused: {error}") from error
        except Exception as error:  # gsmmodem trips on odd answers (a reboot)
            log.debug("modem set-up failed", exc_info=True)
            raise ModemUnavailable(
                f"modem set-up failed on an unexpected answer: {error!r}"
            ) from error
        finally:
            if self._gsm is gsm and self.reader_error is None and not gsm.alive:
                self.reader_error = ModemUnavailable("reader stopped during set-up")
        self.identity = Identity(
            manufacturer=self._first_line("AT+CGMI"),
            model=self._first_line("AT+CGMM"),
            revision=self._first_line("AT+CGMR", optional=True),
            imei=self._first_line("AT+CGSN", optional=True),
            imsi=parse_imsi(self._optional("AT+CIMI")),
            iccid=self._iccid(),
            own_number=parse_own_number(self._optional("AT+CNUM")),
        )
        self._set_up_sms()
        return self.identity

    def _optional(self, command: str) -> list[str]:
        """Ask what only describes the SIM (for the evidence's device block): many dongles
        refuse some of it, or do not know it; that never stops the service."""
        try:
            return self.command(command)
        except (ModemRefused, ModemTimeout) as error:
            log.debug("%s not answered: %s", command, error)
            return []

    def _iccid(self) -> str:
        for command in ICCID_COMMANDS:
            iccid = parse_iccid(self._optional(command))
            if iccid:
                return iccid
        return ""

    def _cancel_pending_input(self) -> None:
        # A daemon killed between AT+CMGS's prompt and its Ctrl-Z leaves the modem
        # reading a PDU: ESC cancels it, or our set-up would be taken for PDU text.
        try:
            with serial.Serial(
                self.config.port, self.config.baudrate, timeout=0.2, exclusive=True
            ) as port:
                port.write(ESCAPE.encode() + b"\r")
                port.read(256)
        except (serial.SerialException, OSError) as error:
            if "exclusively lock" in str(error):
                hint = (
                    "another antirelou holds it: is the service already running? "
                    "(systemctl status antirelou)"
                )
            elif "busy" in str(error).lower():
                hint = (
                    "another program holds it, often ModemManager: see `sudo fuser -v "
                    f"{self.config.port}`"
                )
            else:
                hint = "Is the dongle plugged in, and is ModemManager kept off it?"
            raise ModemUnavailable(f"cannot open {self.config.port}: {error}. {hint}") from error

    def abandon_pending(self) -> None:
        """Cut short the command in progress, if any (from another thread, at shutdown)."""
        gsm = self._gsm
        self._abandoning = True
        if gsm is not None:
            gsm.cut_short()

    def close(self) -> None:
        gsm, self._gsm = self._gsm, None
        if gsm is None:
            return
        gsm.shut()

    @property
    def alive(self) -> bool:
        gsm = self._gsm
        return bool(gsm and gsm.reader_running)

    def _reader_stopped(self, error: BaseException) -> None:
        self.reader_error = error
        log.warning("the modem's serial reader stopped: %s", error)
        gsm = self._gsm
        if gsm is not None:
            gsm.cut_short()  # a command waiting for its answer would wait for nothing
        self.wake.set()

    # --- commands -------------------------------------------------------------

    def command(
        self, command: str, *, timeout: float | None = None, **options: object
    ) -> list[str]:
        """Send one AT command and return its answer lines. Raise a ModemError."""
        # Errors name the command, never a PDU: it holds a number and a message.
        label = command.split("=")[0] if command.startswith("AT") else "the SMS PDU"
        gsm = self._gsm
        if gsm is None or not self.alive:
            raise ModemUnavailable(
                f"the modem on {self.config.port} is not connected"
                + (f" ({self.reader_error})" if self.reader_error else "")
            )
        try:
            lines = gsm.write(command, timeout=timeout or self.config.command_timeout, **options)
            if self._abandoning:
                raise ModemUnavailable(f"{label} abandoned: the service is stopping")
        except ModemError:
            raise
        except (CmsError, CmeError) as error:
            if not_ready(error):
                raise SmsNotReady(
                    f"{label}: {error} (SMS service not ready yet)", error.code
                ) from error
            raise ModemRefused(f"{label}: {error}", error.code) from error
        except CommandError as error:
            raise ModemRefused(f"{label}: ERROR") from error
        except TimeoutException as error:
            if not self.alive:
                raise ModemUnavailable(f"the modem vanished during {label}") from error
            raise ModemTimeout(
                f"no answer to {label} within {timeout or self.config.command_timeout:g}s"
            ) from error
        except (serial.SerialException, OSError) as error:
            raise ModemUnavailable(f"{self.config.port}: {error}") from error
        except Exception as error:  # gsmmodem trips on odd answers
            if self._abandoning:  # the empty answer we cut short
                raise ModemUnavailable(f"{label} abandoned: the service is stopping") from error
            log.debug("unexpected failure of %s", command, exc_info=True)
            raise ModemUnavailable(f"{label}: unexpected answer ({error!r})") from error
        if self.reader_error is not None:
            raise ModemUnavailable(f"the modem vanished during {label} ({self.reader_error})")
        lines = lines or []
        if lines and lines[0].strip() == command.strip() and command.startswith("AT"):
            # We turned echo off; it is back on only if the modem restarted on its own.
            raise ModemUnavailable(
                "the modem restarted by itself (echo is back on); setting it up again"
            )
        # gsmmodem files a notice that arrives while a command waits into its answer.
        lines, notices = split(self.inbox.claim_direct_pdu(lines), command)
        if notices:
            self.inbox.file(notices)
        return lines

    def _first_line(self, command: str, optional: bool = False) -> str:
        try:
            lines = [line for line in self.command(command) if line != "OK"]
        except ModemRefused:
            if optional:
                return ""
            raise
        return lines[0].strip() if lines else ""

    # --- message storages and notices -------------------------------------------------

    def _set_up_sms(self) -> None:
        """Find every storage that holds SMS, choose where new ones go, ask for notices.

        Set again after every open and boot notice: dongles forget all of it (modems.md §1.2).
        """
        self._selected = None
        offered = offered_storages(self.command("AT+CPMS=?"))
        readable = [name for name in ("ME", "SM") if name in offered[0]]
        if not readable:
            readable = [name for name in _MESSAGE_STORAGES if name in offered[0]] or ["SM"]
        receivable = [name for name in _MESSAGE_STORAGES if name in offered[2]] or readable
        wanted = self.config.storage
        if wanted != "auto" and wanted not in receivable:
            raise ModemRefused(
                f"modem.storage is {wanted} but this modem stores new messages only in "
                f"{', '.join(receivable)}"
            )
        sizes: dict[str, tuple[int, int]] = {}
        for name in dict.fromkeys(readable + receivable):
            try:
                sizes[name] = self._select(name, name)
            except SmsNotReady:
                raise
            except ModemRefused as error:
                log.info("storage %s refused by the modem: %s", name, error)
        usable = {name: size for name, size in sizes.items() if size[1] > 0}
        if not usable:
            raise ModemRefused("the modem offers no message storage that can hold an SMS")
        if wanted != "auto":
            receive = wanted
        else:
            # The largest, so that a raid fills it last (an eSIM's SM of 0 slots never).
            candidates = [name for name in receivable if name in usable]
            receive = max(candidates or list(usable), key=lambda name: usable[name][1])
        self.receive_storage = receive
        self.storages = [StorageInfo(name, *sizes[name]) for name in readable if name in sizes]
        self._select(self.readable[0] if self.readable else receive)
        self._check_receive_storage(receive)
        self._ask_for_notices()
        log.info(
            "message storages %s; new messages go to %s",
            ", ".join(f"{info.name} ({info.total} slots)" for info in self.storages),
            receive,
        )

    def _check_receive_storage(self, receive: str) -> None:
        """Read back where new messages go: some modems take only the first parameter of
        AT+CPMS (modems.md §1.2). Every storage is listed anyway; this says so in the log."""
        try:
            answer = self.command("AT+CPMS?")
        except ModemRefused:
            return
        names = [name for line in answer for name in CPMS_NAME.findall(line)]
        if len(names) >= 3 and names[2] != receive:
            log.warning(
                "the modem keeps new messages in %s, not %s as asked: both are read",
                names[2],
                receive,
            )

    @property
    def readable(self) -> list[str]:
        """The storages listed at each drain: every one that can hold an SMS."""
        return [info.name for info in self.storages if info.total > 0]

    def _select(self, name: str, receive: str | None = None) -> tuple[int, int]:
        """Read and delete in `name` from now on, new messages still going to the receive
        storage; return (used, total) of `name`. All three parameters, always: some sticks
        refuse fewer, and a missing third one leaves new messages where they were (§1.3)."""
        receive = receive or self.receive_storage or name
        answer = self.command(f'AT+CPMS="{name}","{name}","{receive}"')
        self._selected = name
        for line in answer:
            match = _CPMS_SET.match(line)
            if match:
                return int(match.group(1)), int(match.group(2))
        # Some modems answer a plain OK (§1.3): ask.
        for info in self.storage_usage():
            if info.name == name:
                return info.used, info.total
        raise ModemRefused(f"unexpected answer to AT+CPMS for {name}")

    def _ask_for_notices(self) -> None:
        """+CMTI for each new stored message, nothing for status reports; and whether a +CMT
        must be acknowledged (AT+CSMS service 1, §2.3)."""
        # mode 2 first, then mode 1, which many Qualcomm-based sticks need (§2.1).
        for setting in ("2,1,0,0,0", "1,1,0,0,0", "2,1"):
            try:
                self.command(f"AT+CNMI={setting}")
                break
            except SmsNotReady:
                raise
            except ModemRefused as error:
                log.debug("AT+CNMI=%s refused: %s", setting, error)
        else:
            log.warning("the modem gives no new-message notices; relying on polling alone")
        try:
            self._acknowledge = any(
                match and match.group(1) == "1"
                for match in map(_CSMS.match, self.command("AT+CSMS?"))
            )
        except ModemRefused:
            self._acknowledge = False

    def reassert(self) -> None:
        """After a boot notice: echo off, PDU mode, storages and notices set again."""
        self.inbox.settings_stale = False
        self.command("ATE0")
        self.command("AT+CMGF=0")
        self._set_up_sms()

    def storage_usage(self) -> list[StorageInfo]:
        """Return each storage AT+CPMS? names (read, write, receive) with used and total."""
        for line in self.command("AT+CPMS?"):
            if line.startswith("+CPMS"):
                return storage_usage(line)
        raise ModemRefused("unexpected answer to AT+CPMS?")

    def acknowledge_direct(self, count: int) -> None:
        """Tell the network `count` +CMT messages were taken, where the modem's service level
        needs it (AT+CNMA, §2.3): only after they are committed, so a crash makes the network
        deliver them again rather than lose them."""
        if not self._acknowledge:
            return
        for _ in range(count):
            try:
                self.command("AT+CNMA")
            except ModemRefused as error:  # 340: nothing to acknowledge any more
                log.info("AT+CNMA refused: %s", error)

    def reject_call(self) -> None:
        """Hang up a ringing call without ever answering it (no cost, no voice): AT+CHUP, or
        ATH after AT+CVHU=0 where AT+CHUP is refused (modems.md §5)."""
        self.inbox.rejecting()
        try:
            self.command("AT+CHUP")
            return
        except ModemRefused as error:
            log.info("AT+CHUP refused (%s); hanging up with ATH", error)
        try:
            self.command("AT+CVHU=0")
        except ModemRefused:
            pass
        try:
            self.command("ATH")
        except ModemRefused as error:
            log.warning("the modem refused to hang up (%s): the call rings on", error)

    def registration(self) -> Registration:
        status = 4
        for line in self.command("AT+CREG?"):
            match = _CREG.match(line)
            if match:
                status = int(match.group(1))
        operator = None
        try:
            for line in self.command("AT+COPS?"):
                match = _COPS.match(line)
                if match:
                    operator = match.group(1)
        except ModemRefused:
            pass
        return Registration(status, operator, self.signal())

    def signal(self) -> int | None:
        for line in self.command("AT+CSQ"):
            match = _CSQ.match(line)
            if match:
                value = int(match.group(1))
                return None if value == 99 else value
        return None

    # --- messages ---------------------------------------------------------------

    def list_storage(self, name: str) -> Listing:
        """List every message in storage `name` with one AT+CMGL (never one read per slot);
        the storage stays selected for the deletes that follow."""
        if self._selected != name:
            used, total = self._select(name)
            self._note_usage(name, used, total)
        total = next((info.total for info in self.storages if info.name == name), 0)
        wire_seconds = total * _BYTES_PER_LISTED_SMS * 10 / self.config.baudrate
        lines = self.command("AT+CMGL=4", timeout=self.config.command_timeout + wire_seconds)
        listing = parse_listing(name, lines)
        self._note_usage(name, len(listing.entries), total)
        return listing

    def _note_usage(self, name: str, used: int, total: int) -> None:
        self.storages = [
            StorageInfo(name, used, total) if info.name == name else info for info in self.storages
        ]

    def delete_read(self) -> None:
        """Delete every message marked read in the selected storage: exactly those its last
        listing returned."""
        self.command("AT+CMGD=1,1")
        self._note_usage(self._selected or "", 0, self.capacity(self._selected))

    def delete_slots(self, slots: Sequence[int]) -> None:
        for slot in slots:
            self.command(f"AT+CMGD={slot},0")

    def capacity(self, name: str | None) -> int:
        """Return how many SMS storage `name` holds (0 if unknown)."""
        return next((info.total for info in self.storages if info.name == name), 0)

    def send(self, number: str, text: str, reference: int) -> list[int]:
        """Send `text` to `number`; return the network's reference of each segment.

        Raise SendFailed saying how many segments left and whether the failure
        is definite (the modem refused) or not (no answer: it may have left).
        """
        gsm = self._gsm
        pdus = encode_submit(number, text, reference & 0xFF, concat_reference=reference & 0xFF)
        # Not connected: the first command below raises ModemUnavailable; the lock only has
        # to exist until then.
        lock = gsm.port_lock if gsm is not None else threading.RLock()
        references: list[int] = []
        for position, pdu in enumerate(pdus, start=1):
            what = f"segment {position}/{len(pdus)}"
            # The prompt and the PDU are two writes; the port's lock keeps any
            # other writer from slipping between them.
            with lock:
                try:
                    self.command(
                        f"AT+CMGS={pdu.tpdu_length}", timeout=5, expectedResponseTermSeq="> "
                    )
                except ModemError as error:
                    # No PDU was written: this segment certainly did not leave.
                    if isinstance(error, ModemTimeout):
                        self._cancel_prompt()
                    raise SendFailed(
                        f"{what}: {error}",
                        segments_sent=len(references),
                        definite=True,
                        references=references,
                    ) from error
                try:
                    lines = self.command(
                        pdu.hex, timeout=self.config.send_timeout, writeTerm=CTRL_Z
                    )
                except ModemRefused as error:
                    raise SendFailed(
                        f"{what} refused: {error}",
                        segments_sent=len(references),
                        definite=True,
                        references=references,
                    ) from error
                except ModemError as error:
                    raise SendFailed(
                        f"{what}: {error}; it may have left",
                        segments_sent=len(references),
                        definite=False,
                        references=references,
                    ) from error
            match = next((m for m in map(_CMGS.match, lines) if m), None)
            if match is None:
                raise SendFailed(
                    f"{what}: no +CMGS reference in {lines!r}",
                    segments_sent=len(references),
                    definite=False,
                    references=references,
                )
            references.append(int(match.group(1)))
        return references

    def _cancel_prompt(self) -> None:
        try:
            if self._gsm is not None:
                self._gsm.write_raw(ESCAPE.encode())
        except Exception:  # noqa: BLE001
            pass
