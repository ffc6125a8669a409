"""The simulated dongle's profiles over a real pty, driven by the plain AT client: what each
family of real dongles does (research in ../shared/research/modems.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from at_client import TIMEOUT, AtClient, connect

from antirelou.pdu import decode_deliver, encode_submit
from antirelou.simulator import SimulatedDongle
from antirelou.simulator.profiles import PROFILES

FAMILIES = ["huawei", "zte", "simcom", "quectel"]
READY_DELAY = 0.4  # seconds of "SMS not ready" after a reboot or replug


@pytest.fixture(params=FAMILIES)
def family(request) -> str:
    return request.param


@pytest.fixture
def link(tmp_path) -> str:
    return str(tmp_path / "modem")


@pytest.fixture
def dongle(link, family) -> Iterator[SimulatedDongle]:
    with SimulatedDongle(link, profile=family, sms_ready_delay=READY_DELAY) as simulated:
        yield simulated


@pytest.fixture
def client(dongle) -> Iterator[AtClient]:
    at_client = connect(dongle.port)
    yield at_client
    at_client.close()


def _select(client: AtClient, first: str, second: str, third: str) -> list[str]:
    return client.command(f'AT+CPMS="{first}","{second}","{third}"')


def _listing(client: AtClient) -> dict[int, str]:
    lines = client.command("AT+CMGL=4")
    assert lines[-1] == "OK"
    return {
        int(header.removeprefix("+CMGL: ").split(",")[0]): pdu
        for header, pdu in zip(lines[:-1:2], lines[1:-1:2], strict=True)
    }


def _texts(pdus) -> list[str]:
    return [decode_deliver(pdu).text for pdu in pdus]


def _stored_texts(dongle: SimulatedDongle, memory: str) -> list[str]:
    return _texts(pdu for _, pdu in dongle.stored_in(memory).values())


def _other(memory: str) -> str:
    return "ME" if memory == "SM" else "SM"


def test_cpms_offers_reports_and_sets_the_profile_storages(dongle, client):
    profile = dongle.profile
    storages = list(profile.capacities)
    groups = ",".join(
        "(" + ",".join(f'"{name}"' for name in group) + ")" for group in profile.groups(storages)
    )
    assert client.command("AT+CPMS=?") == [f"+CPMS: {groups}", "OK"]
    first, second, third = profile.boot_memories
    capacity = profile.capacities
    fields = [f'"{first}"', 0, capacity[first], f'"{second}"', 0, capacity[second]]
    fields += [f'"{third}"', 0, capacity[third]]
    separator = profile.cpms_separator  # ZTE puts a space after each comma (§1.1)
    assert client.command("AT+CPMS?") == ["+CPMS: " + separator.join(map(str, fields)), "OK"]
    assert _select(client, "ME", "ME", "SM") == [
        f"+CPMS: 0,{capacity['ME']},0,{capacity['ME']},0,{capacity['SM']}",
        "OK",
    ]
    assert dongle.memories_now() == ("ME", "ME", "SM")


def test_only_the_three_parameter_cpms_on_huawei(link):
    with SimulatedDongle(link, profile="huawei") as dongle, connect(dongle.port) as client:
        assert client.command('AT+CPMS="SM"') == ["ERROR"]
        assert client.command('AT+CPMS="SM","SM"') == ["ERROR"]
        assert _select(client, "SM", "SM", "SM") == ["+CPMS: 0,20,0,20,0,20", "OK"]


def test_new_message_goes_to_mem3_and_cmti_names_it(dongle, client):
    base = dongle.profile.index_base
    receive = _other(dongle.memories_now()[2])
    assert _select(client, _other(receive), "SM", receive)[-1] == "OK"
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    assert dongle.inject("+33611111111", "to mem3") == [base]
    assert client.read_until("+CMTI") == [f'+CMTI: "{receive}",{base}']
    assert _listing(client) == {}  # mem1 is the other storage
    assert _select(client, receive, receive, receive)[-1] == "OK"
    listed = _listing(client)
    assert list(listed) == [base]
    assert _texts(listed.values()) == ["to mem3"]
    assert client.command(f"AT+CMGD={base}") == ["OK"]
    assert dongle.stored_in(receive) == {}


def test_class_zero_arrives_as_cmt_and_is_not_stored(dongle, client):
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    assert dongle.inject("+33611111111", "flash!", message_class=0) == []
    header = client.read_until("+CMT")[-1]
    pdu = client.read_line()
    assert header == f"+CMT: ,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}"
    assert decode_deliver(pdu).text == "flash!"
    assert all(not dongle.stored_in(name) for name in dongle.profile.capacities)


def test_cnmi_mt_two_hands_messages_over_as_cmt(dongle, client):
    assert client.command("AT+CNMI=2,2,0,0,0") == ["OK"]
    assert dongle.inject("+33611111111", "routed") == []
    client.read_until("+CMT")
    assert _texts([client.read_line()]) == ["routed"]
    assert all(not dongle.stored_in(name) for name in dongle.profile.capacities)


def test_class_two_goes_to_the_sim_whatever_mem3(dongle, client):
    base = dongle.profile.index_base
    assert _select(client, "ME", "ME", "ME")[-1] == "OK"
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    assert dongle.inject("+33611111111", "for the SIM", message_class=2) == [base]
    assert client.read_until("+CMTI") == [f'+CMTI: "SM",{base}']
    assert list(dongle.stored_in("SM")) == [base]
    assert _stored_texts(dongle, "SM") == ["for the SIM"]
    assert dongle.stored_in("ME") == {}


def test_cmt_acknowledgement_rules(dongle, client):
    assert client.command("AT+CNMI=2,1,0,0,0") == ["OK"]
    assert client.command("AT+CSMS=1") == ["+CSMS: 1,1,1", "OK"]
    dongle.inject("+33611111111", "first", message_class=0)
    dongle.inject("+33622222222", "second", message_class=0)
    client.read_until("+CMT")
    assert _texts([client.read_line()]) == ["first"]
    if dongle.profile.acknowledges_cmt:
        # The second waits for the first's AT+CNMA (research §2.3); then a third is 340.
        assert client.answer_or_none("AT", 0.5) == ["OK"]
        assert client.command("AT+CNMA") == ["OK"]
        client.read_until("+CMT")
        assert _texts([client.read_line()]) == ["second"]
        assert client.command("AT+CNMA") == ["OK"]
    else:
        client.read_until("+CMT")
        assert _texts([client.read_line()]) == ["second"]
    assert client.command("AT+CNMA") == ["+CMS ERROR: 340"]


def test_reboot_plays_the_boot_sequence_and_sms_is_not_ready_for_a_while(dongle, client):
    profile = dongle.profile
    dongle.reboot(silence=0.05)
    boot = [client.read_line() for _ in range(2 * len(profile.boot_lines))]
    assert [line for line in boot if line] == list(profile.boot_lines)
    assert client.command("AT+CMEE=1")[-1] == "OK"  # echo is back on: the echo comes first
    assert client.command("ATE0")[-1] == "OK"
    assert client.command("AT+CMGL=4") == ["+CMS ERROR: 314"]
    assert client.command("AT+CMGF=0") == ["ERROR"]
    if profile.ready_lines:
        assert client.read_until(profile.ready_lines[-1])[-len(profile.ready_lines) :] == list(
            profile.ready_lines
        )
    else:
        assert dongle.wait_for(lambda: dongle.sms_ready, TIMEOUT)
    assert client.command("AT+CMGL=4") == ["OK"]


def test_replug_reverts_mem3_and_held_messages_land_there(dongle, link, client):
    boot_receive = dongle.profile.boot_memories[2]
    moved = _other(boot_receive)
    base = dongle.profile.index_base
    assert _select(client, moved, moved, moved)[-1] == "OK"
    dongle.inject("+33611111111", "before")
    dongle.unplug()
    assert dongle.inject("+33622222222", "while unplugged") == []  # the network holds it
    assert dongle.pending_network == 1
    dongle.replug()
    with connect(link) as fresh:
        assert dongle.memories_now() == dongle.profile.boot_memories
        assert dongle.pending_network == 0
        assert _stored_texts(dongle, boot_receive) == ["while unplugged"]
        assert list(dongle.stored_in(boot_receive)) == [base]
        assert _stored_texts(dongle, moved) == ["before"]
        assert dongle.wait_for(lambda: dongle.sms_ready, TIMEOUT)
        assert _select(fresh, boot_receive, boot_receive, boot_receive)[-1] == "OK"
        assert _texts(_listing(fresh).values()) == ["while unplugged"]


def test_preloaded_messages_wait_in_the_boot_mem3(link, family):
    dongle = SimulatedDongle(link, profile=family)
    base = dongle.profile.index_base
    receive = dongle.profile.boot_memories[2]
    assert dongle.preload([("+33611111111", "one"), ("+33622222222", "two")]) == [base, base + 1]
    with dongle, connect(dongle.port) as client:
        assert _select(client, receive, receive, receive)[-1] == "OK"
        assert list(_listing(client)) == [base, base + 1]


def test_noise_inside_a_listing_sits_between_header_and_pdu(dongle, client):
    dongle.preload([("+33611111111", "one"), ("+33622222222", "two")])
    first, second, third = dongle.memories_now()
    assert _select(client, third, second, third)[-1] == "OK"
    dongle.noise_inside_next("AT+CMGL", "^RSSI:3")
    lines = client.command("AT+CMGL=4")
    assert lines[0].startswith("+CMGL: ")
    assert lines[1] == "^RSSI:3"
    assert _texts([lines[2], lines[4]]) == ["one", "two"]
    assert lines[-1] == "OK"


def test_send_prompt_style(dongle, client):
    [pdu] = encode_submit("+33612345678", "hello", 0)
    prompt = dongle.profile.prompt.decode().strip("\r\n")
    assert client.command(f"AT+CMGS={pdu.tpdu_length}") == [prompt]
    client.connection.write(pdu.hex.encode("ascii") + b"\x1a")
    assert client.read_answer() == ["+CMGS: 0", "OK"]
    assert [message.text for message in dongle.sent] == ["hello"]


def test_call_rings_then_chup_rejects_it(dongle, client):
    assert client.command("AT+CLIP=1") == ["OK"]
    assert client.command("AT+CRC=1") == ["OK"]
    dongle.call("+33611111111", ring_every=0.1)
    assert client.read_until("+CLIP")[-2:] == ["+CRING: VOICE", '+CLIP: "+33611111111",145,,,,0']
    assert client.command("AT+CHUP")[-1] == "OK"
    assert dongle.wait_for(lambda: dongle.calls[0].outcome == "rejected", TIMEOUT)
    [record] = dongle.calls
    assert (record.number, record.command) == ("+33611111111", "AT+CHUP")
    if dongle.profile.call_end_line:
        assert client.read_until("^CEND")[-1] == dongle.profile.call_end_line


def test_call_without_caller_id(dongle, client):
    assert client.command("AT+CLIP=1") == ["OK"]
    dongle.call(None, ring_every=0.1, ring_for=0.35)
    assert client.read_until("+CLIP")[-2:] == ["RING", '+CLIP: "",128,,,,1']
    assert dongle.wait_for(lambda: dongle.calls[0].outcome == "missed", TIMEOUT)
    assert dongle.calls[0].number is None


@pytest.mark.parametrize(
    ("family", "notice"), [("huawei", '^SMMEMFULL: "SM"'), ("simcom", "+SMS FULL")]
)
def test_storage_full_notice(link, family, notice):
    with (
        SimulatedDongle(link, profile=family, sim_capacity=1) as dongle,
        connect(dongle.port) as client,
    ):
        dongle.inject("+33611111111", "fills the SIM")
        assert client.read_until(notice.split(":")[0])[-1] == notice


def test_periodic_noise_while_plugged(link):
    with (
        SimulatedDongle(link, profile="zte", noise_every=0.05) as dongle,
        connect(dongle.port) as client,
    ):
        assert client.read_until("+ZUSIMR")[-1] == "+ZUSIMR:2"
        assert client.command("AT")[-1] == "OK"


def test_esim_offers_sm_that_holds_nothing(link):
    with (
        SimulatedDongle(link, profile="huawei", sim_capacity=0) as dongle,
        connect(dongle.port) as client,
    ):
        assert client.command("AT+CPMS?") == ['+CPMS: "SM",0,0,"SM",0,0,"SM",0,0', "OK"]
        assert dongle.inject("+33611111111", "nowhere yet") == []
        assert _select(client, "ME", "ME", "ME") == ["+CPMS: 1,23,1,23,1,23", "OK"]


def test_every_family_has_a_profile():
    assert set(FAMILIES) | {"generic"} == set(PROFILES)


def test_unplug_misses_a_ringing_call_and_a_flash_waits_for_the_replug(dongle, link, client):
    dongle.call("+33611111111", ring_every=0.1)
    assert client.read_until("RING") == ["RING"]
    dongle.unplug()
    assert [record.outcome for record in dongle.calls] == ["missed"]
    assert dongle.inject("+33622222222", "flash while out", message_class=0) == []
    dongle.replug()
    with connect(link) as fresh:
        assert fresh.answer_or_none("AT", 0.3) == ["OK"]  # nothing before CNMI asks
        assert dongle.wait_for(lambda: dongle.sms_ready, TIMEOUT)
        assert fresh.command("AT+CNMI=2,1,0,0,0")[-1] == "OK"  # after any ready lines
        fresh.read_until("+CMT")
        assert _texts([fresh.read_line()]) == ["flash while out"]
