"""A serial card reader on a pty, run inside the booted container: `python3 pty_reader.py LINK FIFO`.

It opens a pty pair, gives the reader's end to group dialout as udev gives a USB reader, links it
at LINK (e.g. /dev/rollcall/reader-test, as the udev rules name readers), and writes every line
written into FIFO to the pty as an `ascii` reader prints a card number: digits, then CR LF.
Run by the container's own python3 (stdlib only).
"""

import grp
import os
import sys
import tty


def main(link: str, fifo: str) -> None:
    controller, reader_end = os.openpty()
    tty.setraw(reader_end)
    name = os.ttyname(reader_end)
    os.chown(name, 0, grp.getgrnam("dialout").gr_gid)
    os.chmod(name, 0o660)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.exists(fifo):
        os.mkfifo(fifo, 0o600)
    os.symlink(name, link + ".new")
    os.replace(link + ".new", link)
    # reader_end stays open here: the edge closing its end (a restart) must not hang up the pty.
    while True:
        with open(fifo, "rb") as taps:
            for line in taps:
                if line.strip():
                    os.write(controller, line.strip() + b"\r\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
