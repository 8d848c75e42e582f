#!/usr/bin/python3
"""offload.py DEV [FEATURE=0|1 ...] - ethtool -K without ethtool

Sets a network device's offload features through the SIOCETHTOOL ioctl
(the legacy ethtool commands, which veth still honours) and prints them
all. FEATURE is one of sg, tso, gso, gro. run.sh uses it to turn TSO and
GSO off on a veth, so that the kernel-to-kernel baseline sends plain
MTU-sized frames, as utcpd does on its TAP. Only the standard library.
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# feature -> (ETHTOOL_Gxxx, ETHTOOL_Sxxx), from linux/ethtool.h
FEATURES = {
    "sg": (0x18, 0x19),
    "tso": (0x1E, 0x1F),
    "gso": (0x23, 0x24),
    "gro": (0x2B, 0x2C),
}


def ethtool(sock, dev, cmd, value=0):
    # struct ethtool_value { __u32 cmd; __u32 data; }, pointed to by
    # ifr_data in a struct ifreq (16-byte name, then a union of 24).
    ev = ctypes.create_string_buffer(struct.pack("II", cmd, value), 8)
    ifr = struct.pack("16sP16x", dev.encode(), ctypes.addressof(ev))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)
    return struct.unpack("II", ev.raw[:8])[1]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.splitlines()[0])
    dev = sys.argv[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for arg in sys.argv[2:]:
            name, _, value = arg.partition("=")
            if name not in FEATURES or value not in ("0", "1"):
                sys.exit(f"offload.py: bad feature setting {arg!r}")
            ethtool(sock, dev, FEATURES[name][1], int(value))
        print(dev, " ".join(f"{n}={ethtool(sock, dev, g)}"
                            for n, (g, _) in FEATURES.items()))


if __name__ == "__main__":
    main()
