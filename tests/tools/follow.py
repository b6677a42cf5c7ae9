#!/usr/bin/env python3
"""Reference cleartext from tshark: for one TCP connection (given by its two
ports), print the decrypted bytes of each direction as hex, one line each:
    c2s <hex>
    s2c <hex>
Directions are mapped by the server port, not by tshark's "node 0" (which is
the side that sent the first decrypted bytes).  Usage:
    follow.py CAPTURE SERVER_PORT CLIENT_PORT [tshark -o options...]
"""
import subprocess
import sys


def main():
    cap, sport, cport = sys.argv[1], sys.argv[2], sys.argv[3]
    opts = sys.argv[4:]
    base = ["tshark", "-n", "-r", cap, "-o", "tcp.reassemble_out_of_order:TRUE"] + opts
    out = subprocess.run(base + ["-Y", f"tcp.port=={sport} && tcp.port=={cport}", "-T", "fields",
                                 "-e", "tcp.stream"], capture_output=True, text=True).stdout.split()
    if not out:
        print("c2s ")
        print("s2c ")
        return
    stream = out[0]
    for proto, prefix in (("tls", ""), ("tcp", "tcp_")):
        txt = subprocess.run(base + ["-q", "-z", f"follow,{proto},raw,{stream}"], capture_output=True,
                             text=True).stdout
        parse(txt, sport, prefix)


def parse(txt, sport, prefix):
    node = {}
    data = {"c2s": [], "s2c": []}
    for line in txt.splitlines():
        if line.startswith("Node 0:"):
            # tshark 4.0 may print "Node 1: :0": derive node 1 from node 0
            port = line.rsplit(":", 1)[1].strip()
            node["0"] = "s2c" if port == sport else "c2s"
            node["1"] = "c2s" if node["0"] == "s2c" else "s2c"
            continue
        if line.startswith("Node 1:"):
            continue
        if not line.strip() or line.startswith("=") or ":" in line:
            continue
        if line.startswith("\t"):
            data[node.get("1", "s2c")].append(line.strip())
        else:
            data[node.get("0", "c2s")].append(line.strip())
    print(prefix + "c2s " + "".join(data["c2s"]))
    print(prefix + "s2c " + "".join(data["s2c"]))


if __name__ == "__main__":
    main()
