"""Profiles of real dongle families: the knobs the simulated dongle's behaviour reads.

A Profile is data only; the AT command interpreter (commands), the storage (storage) and
the façade (dongle) act on it. Every value comes from ../shared/research/modems.md ("the
research" below): each knob cites its section, or says [Inferred] where the research does.
"generic" is the simulator as it was before profiles (a Huawei-like stick with one SIM
storage), kept exactly so that the tests and benches written against it keep passing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Settings a power-up puts back to the profile's defaults (research §1.2: treat CPMS and
# CNMI as volatile; the "MF103" stick's mem3 went back to SM after a reboot).
VOLATILE_DEFAULT = frozenset({"+CPMS", "+CNMI"})


@dataclass(frozen=True)
class Profile:
    """What a family of dongles says and does; see the module docstring."""

    name: str
    # AT+CGMI / AT+CGMM / AT+CGMR answers (research §7.1).
    manufacturer: str
    model: str
    revision: str
    # Storage name -> capacity, in the order AT+CPMS=? lists them; the first is the default
    # storage when boot_memories is None. Capacity 0: offered but holds nothing (SR, eSIM).
    capacities: dict[str, int]
    # The three AT+CPMS=? groups (mem1, mem2, mem3); None: every storage in each. "MT" in a
    # group offers the combined storage, ME then SM (research §1.6).
    cpms_groups: tuple[tuple[str, ...], ...] | None = None
    # mem1, mem2, mem3 right after power-up; None: the first storage three times.
    boot_memories: tuple[str, str, str] | None = None
    # Commands whose settings a power-up (reboot, replug) reverts.
    volatile: frozenset[str] = VOLATILE_DEFAULT
    # What separates the fields of the AT+CPMS? answer (ZTE MF710M puts a space, §1.1).
    cpms_separator: str = ","
    # The fewest AT+CPMS parameters accepted (3: only the full form, research §1.3).
    cpms_parameters_required: int = 1
    # The index of the first slot of a storage (research §1.8).
    index_base: int = 0
    # Lines printed at power-up, and when the SMS service becomes ready (research §4.3).
    boot_lines: tuple[str, ...] = ()
    ready_lines: tuple[str, ...] = ()
    # Whether a replug prints boot_lines too (a reboot always does).
    boot_lines_after_replug: bool = True
    # Seconds after power-up during which SMS commands fail (research §4.3).
    sms_ready_delay: float = 0.0
    not_ready_error: int = 314  # +CMS ERROR code meanwhile ("SIM busy", research §4.3)
    # Unsolicited lines a plugged dongle repeats; "{signal}" is replaced (research §4).
    periodic_noise: tuple[str, ...] = ()
    # The final result for an unknown command when CMEE is 0 (research §4.1).
    unknown_command: str = "ERROR"
    # The AT+CMGS prompt, framing included (research §6.1).
    prompt: bytes = b"\r\n> "
    # Whether AT+CNMI mt=2/3 hands messages over as +CMT instead of storing them (§2.2).
    routes_with_cnmi: bool = True
    # Whether AT+CSMS=1 makes every +CMT wait for AT+CNMA (research §2.3).
    acknowledges_cmt: bool = True
    # The storage-full notice, "{memory}" replaced; None: none (research §8).
    storage_full_line: str | None = '^SMMEMFULL: "{memory}"'
    # The notice after a call ends; None: none (research §5).
    call_end_line: str | None = None
    # Whether ATH ends a ringing call only after AT+CVHU=0 (research §5, Huawei E1550).
    ath_needs_cvhu: bool = False
    # Whether messages sent while the device is unplugged wait in the network until it
    # comes back (research §8: the network holds SMS it cannot deliver).
    network_holds_while_unplugged: bool = True
    # The commands that give the SIM's ICCID (simulator.sim_identity says how each answers).
    # +CRSM reads the SIM file itself, 3GPP TS 27.007 §8.18: every family here has it.
    iccid_commands: tuple[str, ...] = ("+CRSM",)

    def groups(self, storages: list[str]) -> tuple[tuple[str, ...], ...]:
        """Given the storages the dongle has, return the three AT+CPMS=? groups."""
        if self.cpms_groups is None:
            return (tuple(storages),) * 3
        return tuple(
            tuple(name for name in group if name in storages or _is_combined(name, storages))
            for group in self.cpms_groups
        )

    def boot(self, storages: list[str]) -> list[str]:
        """Given the storages the dongle has, return mem1..mem3 after power-up."""
        if self.boot_memories is None or not all(
            name in storages or _is_combined(name, storages) for name in self.boot_memories
        ):
            return [storages[0]] * 3
        return list(self.boot_memories)


def _is_combined(name: str, storages: list[str]) -> bool:
    return name == "MT" and "ME" in storages and "SM" in storages


# §4.3 / §10: SMS commands fail for 10-100 s after a boot; the short end (tests pass less).
_READY_AFTER = 10.0

GENERIC = Profile(
    name="generic",
    manufacturer="huawei",
    model="E3531",
    revision="22.521.23.00.00",
    capacities={"SM": 30},
    boot_lines=("^BOOT:20952309,0,0,0,6",),
    # Before profiles a replug printed nothing, the network stored straight into the SIM
    # while unplugged, AT+CNMI mt=2 stored silently and AT+CNMA was unknown: kept so the
    # old tests and benches see the same.
    boot_lines_after_replug=False,
    routes_with_cnmi=False,
    network_holds_while_unplugged=False,
    acknowledges_cmt=False,
)

HUAWEI = Profile(
    name="huawei",
    # §7.1: Huawei E173 answers "huawei" (lower case) and firmware 11.126.85.00.00.
    manufacturer="huawei",
    model="E173",
    revision="11.126.85.00.00",
    # §1.5: E1750/E169 `+CPMS: 0,23,0,23,1,20`, ME 23 and SM 20; §1.3: ("SM","ME") x3.
    capacities={"SM": 20, "ME": 23},
    cpms_groups=(("SM", "ME"), ("SM", "ME"), ("SM", "ME")),
    # §1.2 [Inferred]: mem3 reverts to SM at boot; §2.1: chan_dongle sets SM,SM,SM.
    boot_memories=("SM", "SM", "SM"),
    # §1.3: E3372-325 accepts only the 3-parameter AT+CPMS.
    cpms_parameters_required=3,
    # §1.8: gammu's F_SMS_LOCATION_0 for E173, E3531 and most Huawei sticks.
    index_base=0,
    # §4.1: E1752/E220 print ^BOOT; §4.3: SMS commands answer 314 before the SIM is ready.
    boot_lines=("^BOOT:20952309,0,0,0,6",),
    sms_ready_delay=_READY_AFTER,
    # §4.1: ^RSSI every 10 s (E3372), ^MODE:5,4, ^SRVST:0, ^DSFLOWRPT during data.
    periodic_noise=(
        "^RSSI:{signal}",
        "^MODE:5,4",
        "^SRVST:0",
        "^DSFLOWRPT:0000000A,00000000,00000000,0000000000000000,0000000000000000,0003E800,0003E800",
    ),
    # §4.1: E220 and E1750 answer COMMAND NOT SUPPORT to unknown commands.
    unknown_command="COMMAND NOT SUPPORT",
    # §2.3: oFono acknowledges +CMT on Huawei with AT+CNMA=0.
    acknowledges_cmt=True,
    # §8: Huawei ^SMMEMFULL.
    storage_full_line='^SMMEMFULL: "{memory}"',
    # §5: chan_dongle's log "CEND: call_index 1 duration 0 end_status 104 cc_cause 16".
    call_end_line="^CEND:1,0,104,16",
    # §5: E1550, ATH did not end a ringing call until AT+CVHU=0.
    ath_needs_cvhu=True,
    # ModemManager's plugins/huawei/mm-sim-huawei.c asks AT^ICCID? first.
    iccid_commands=("+CRSM", "^ICCID"),
)

ZTE = Profile(
    name="zte",
    # §7.1: ZTE MF190 "ZTE CORPORATION"; MF710M firmware BD_VOCMF710MV1.0.0B03.
    manufacturer="ZTE CORPORATION",
    model="MF190",
    revision="BD_VOCMF710MV1.0.0B03",
    # §1.5: ZTE MF626, SM 50 and ME 100.
    capacities={"SM": 50, "ME": 100},
    cpms_groups=(("SM", "ME"), ("SM", "ME"), ("SM", "ME")),
    # §1.1: ZTE MF710M `+CPMS: "ME", 0, 50, "ME", 0, 50, "ME", 0, 50` at power-up.
    boot_memories=("ME", "ME", "ME"),
    cpms_separator=", ",
    # §1.8: indexes from 1 unless the family is known to start at 0.
    index_base=1,
    # §4.2: ZTE's +ZUSIMR:2 and +ZPAS after start.
    boot_lines=("+ZUSIMR:2",),
    sms_ready_delay=_READY_AFTER,
    # §4.2: unsolicited +ZPAS, +ZUSIMR and +CSQ (MF626).
    periodic_noise=('+ZPAS: "GPRS/EDGE","CS_ONLY"', "+ZUSIMR:2", "+CSQ: {signal},99"),
    # §2.3: oFono acknowledges +CMT on ZTE with AT+CNMA=0.
    acknowledges_cmt=True,
    # §8: no storage-full notice is documented for ZTE.
    storage_full_line=None,
    # ZTE modules answer AT+ZGETICCID with "+ZGETICCID: 8986…" (SparkFun's MG2639 library).
    iccid_commands=("+CRSM", "+ZGETICCID"),
)

SIMCOM = Profile(
    name="simcom",
    # §7.1: SIM7600G-H "SIMCOM INCORPORATED", "SIMCOM_SIM7600G-H", LE20B05SIM7600G22.
    manufacturer="SIMCOM INCORPORATED",
    model="SIMCOM_SIM7600G-H",
    revision="LE20B05SIM7600G22",
    # §1.5: SIM7600 ME 23; §1.4: SR offered with capacity 0 (`+CPMS: 0,0,3,23,3,23`).
    capacities={"SM": 20, "ME": 23, "SR": 0},
    cpms_groups=(("SM", "ME", "SR"), ("SM", "ME"), ("SM", "ME")),
    # [Inferred] §1.2: receive storage on the SIM after power-up, as on most dongles.
    boot_memories=("SM", "SM", "SM"),
    # §1.8 / §3.4: SIM800L indexes from 1 ("resetting the memory index back to 1").
    index_base=1,
    # §4.3: SIM7600 prints RDY, +CPIN: READY, then SMS DONE and PB DONE when ready.
    boot_lines=("RDY", "+CPIN: READY"),
    ready_lines=("SMS DONE", "PB DONE"),
    sms_ready_delay=_READY_AFTER,
    # §6.1: SIM7670G sends a bare ">" then CR LF.
    prompt=b"\r\n>\r\n",
    # §2.3: oFono does not acknowledge +CMT on SIMCom.
    acknowledges_cmt=False,
    # §8: SIMCom A7670E `+SMS FULL`.
    storage_full_line="+SMS FULL",
    # SIM7600 and SIM5320 scripts read AT+CICCID ("+ICCID: 89…"); SIM800 answers AT+CCID
    # with the bare digits.
    iccid_commands=("+CRSM", "+CICCID", "+CCID"),
)

QUECTEL = Profile(
    name="quectel",
    # §7.1: Quectel EC25 `AT+CGMM` -> EC25; §1.4: firmware EC25EFAR06A10M4G.
    manufacturer="Quectel",
    model="EC25",
    revision="EC25EFAR06A10M4G",
    # §1.6: Quectel M26 offers ("SM","ME","MT") three times. [Inferred] §10: ME 255.
    capacities={"SM": 50, "ME": 255},
    cpms_groups=(("SM", "ME", "MT"), ("SM", "ME", "MT"), ("SM", "ME", "MT")),
    # [Inferred] §1.2: receive storage on the SIM after power-up.
    boot_memories=("SM", "SM", "SM"),
    # §1.8: Quectel EC21-J lists `+CMGL: 0,0,,160`; EC25 `+CDSI: "SM",0`.
    index_base=0,
    # §4.3 / §10: Quectel prints RDY at boot and +QIND: SMS DONE when SMS is usable.
    boot_lines=("RDY",),
    ready_lines=("+CPIN: READY", "+QIND: SMS DONE"),
    sms_ready_delay=_READY_AFTER,
    # §2.3: EC25 with AT+CSMS=1: every +CMT waits for AT+CNMA, a second one gives 340.
    acknowledges_cmt=True,
    # §8: no storage-full notice is documented for Quectel.
    storage_full_line=None,
    # EC25 logs show AT+QCCID answered "+QCCID: 898604…", a 19-digit one padded with F.
    iccid_commands=("+CRSM", "+QCCID"),
)

PROFILES: dict[str, Profile] = {
    profile.name: profile for profile in (GENERIC, HUAWEI, ZTE, SIMCOM, QUECTEL)
}


def profile_named(name: str | Profile) -> Profile:
    """Given a profile or its name, return the Profile. Raise ValueError if unknown."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown dongle profile {name!r}; one of {', '.join(PROFILES)}") from None
