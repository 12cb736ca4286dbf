"""Provides a scripted fake PN532 on the far end of a pty: it answers the driver byte for byte."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from enum import StrEnum

from hardware.clock import SimClock
from hardware.pn532 import ACK, HOST, NACK, Frame, Nack, Pn532Parser

# research/hardware.md §4.2
REPLIES = {
    0x02: bytes.fromhex("00 00 FF 06 FA D5 03 32 01 06 07 E8 00"),
    0x14: bytes.fromhex("00 00 FF 02 FE D5 15 16 00"),
    0x32: bytes.fromhex("00 00 FF 02 FE D5 33 F8 00"),
}
CARD_4 = bytes.fromhex("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 E4 3A C9 D2 15 00")
CARD_7 = bytes.fromhex("00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 C4 3B C2 1C 26 80 0C 00")
NO_CARD = bytes.fromhex("00 00 FF 03 FD D5 4B 00 E0 00")
ERROR = bytes.fromhex("00 00 FF 01 FF 7F 81 00")
GARBAGE = b"\xff\x13\x00\xff\x55"  # includes a false start code with a bad length checksum


class Fault(StrEnum):
    SILENT = "silent"  # the command is lost: no ACK, no reply
    NACK = "nack"  # a NACK instead of the ACK
    ERROR = "error"  # ACK, then the error frame
    NO_REPLY = "no-reply"  # ACK, then nothing
    BAD_DCS = "bad-dcs"  # ACK, then the reply with a wrong DCS; a host NACK gets the good reply
    GARBAGE = "garbage"  # noise around the ACK and the reply
    TRUNCATED = "truncated"  # ACK, the reply cut short (its tail lost), then the whole reply


class FakePn532:
    """Answers each host frame with the golden reply; each InListPassiveTarget takes `poll_step` s.

    `field` holds what successive polls find (CARD_4, CARD_7, NO_CARD), then `NO_CARD` forever;
    `faults` spoils the next commands' answers, one fault a command. A SILENT command is lost
    before the chip sees it: it takes no time and finds nothing.
    """

    def __init__(self, master: int, clock: SimClock, poll_step: float = 0.1) -> None:
        self.master = master
        self.clock = clock
        self.poll_step = poll_step
        self.received = bytearray()
        self.commands: list[int] = []
        self.host_nacks = 0
        self.field: deque[bytes] = deque()
        self.faults: deque[Fault] = deque()
        self.deaf_to: set[int] = set()  # command codes the chip never answers
        self._parser = Pn532Parser()
        self._last_reply = b""
        asyncio.get_running_loop().add_reader(master, self._readable)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.master)

    def _readable(self) -> None:
        data = os.read(self.master, 1024)
        self.received += data
        for parsed in self._parser.feed(data):
            if isinstance(parsed, Nack):
                self.host_nacks += 1
                os.write(self.master, self._last_reply)
            elif isinstance(parsed, Frame) and parsed.tfi == HOST:
                self._answer(parsed.data[0])

    def _answer(self, code: int) -> None:
        self.commands.append(code)
        fault = self.faults.popleft() if self.faults else None
        if fault is Fault.SILENT or code in self.deaf_to:
            return
        if code == 0x4A:
            self.clock.advance(self.poll_step)
            reply = self.field.popleft() if self.field else NO_CARD
        else:
            reply = REPLIES[code]
        self._last_reply = reply
        answer = {
            None: ACK + reply,
            Fault.NACK: NACK,
            Fault.ERROR: ACK + ERROR,
            Fault.NO_REPLY: ACK,
            Fault.BAD_DCS: ACK + reply[:-2] + bytes([reply[-2] ^ 0x01, 0]),
            Fault.GARBAGE: GARBAGE + ACK + GARBAGE + reply + GARBAGE,
            Fault.TRUNCATED: ACK + reply[: len(reply) // 2] + reply,
        }[fault]
        os.write(self.master, answer)
