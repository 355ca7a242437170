#!/usr/bin/env python3
"""A node server written the way upstream xEdgeSim's reference nodes are.

usage: refnode.py sensor|gateway PORT
       refnode.py sensor|gateway --stdio

It listens on localhost:PORT, accepts the coordinator, and speaks the TCP line
protocol (INIT/READY, ADVANCE + events line / DONE + events line, SHUTDOWN).
With --stdio it speaks upstream's stdin/stdout dialect instead (M3h's
container protocol): INIT without the node id (taken from XEDGESIM_NODE_ID),
events keyed timestamp_us, event_type, source, destination.
The sensor draws gauss(20, 2) every second from random.Random seeded with
sha256("<id>_<seed>"); the gateway processes each TRANSMIT 100 us after it
was sent and aggregates every 5 s. Both write <id>_metrics.csv in the working
directory, which xedgesim makes the run's results directory (--out).

scenarios/upstream_nodes.yaml runs it; start from it to bring your own Python
node under xedgesim (README, "Coming from upstream xEdgeSim"). Tests and the
bench run it under xedgesim's coordinator and compare its CSV files with the
built-in models'.
"""
import csv, hashlib, heapq, json, random, socket, sys


class Ev:
    def __init__(self, t, kind, data=None):
        self.t, self.kind, self.data = t, kind, data

    def __lt__(self, other):
        return self.t < other.t


def serve(port, node):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("localhost", port))
    srv.listen(1)
    conn, _ = srv.accept()
    f = conn.makefile("rw")
    while True:
        line = f.readline().strip()
        if not line:
            break
        parts = line.split(" ", 2)
        if parts[0] == "INIT":
            node.init(parts[1], json.loads(parts[2]))
            f.write("READY\n")
        elif parts[0] == "ADVANCE":
            incoming = json.loads(f.readline())
            out = node.advance(int(parts[1]), incoming)
            f.write("DONE\n" + json.dumps(out) + "\n")
        elif parts[0] == "SHUTDOWN":
            node.close()
            break
        f.flush()
    conn.close()


# The stdin/stdout dialect renames the event keys (upstream's
# DockerProtocolAdapter): coordinator name -> stdio name.
STDIO_KEYS = {"time_us": "timestamp_us", "type": "event_type", "src": "source", "dst": "destination", "payload": "payload"}


def serve_stdio(node):
    import os
    fin, fout = sys.stdin, sys.stdout
    while True:
        line = fin.readline().strip()
        if not line:
            break
        parts = line.split(" ", 2)
        if parts[0] == "INIT":
            node.init(os.environ["XEDGESIM_NODE_ID"], json.loads(line.split(" ", 1)[1]))
            fout.write("READY\n")
        elif parts[0] == "ADVANCE":
            raw = parts[2] if len(parts) > 2 else fin.readline()
            incoming = [{k: e.get(v) for k, v in STDIO_KEYS.items()} for e in json.loads(raw)]
            out = node.advance(int(parts[1]), incoming)
            out = [{v: e.get(k) for k, v in STDIO_KEYS.items()} for e in out]
            fout.write("DONE\n" + json.dumps(out) + "\n")
        elif parts[0] == "SHUTDOWN":
            node.close()
            break
        fout.flush()


class Sensor:
    def init(self, node_id, cfg):
        self.id = node_id
        digest = hashlib.sha256(f"{node_id}_{cfg.get('seed', 0)}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.q, self.sent = [Ev(1_000_000, "SAMPLE")], 0
        self.file = open(f"{node_id}_metrics.csv", "w", newline="")
        self.csv = csv.writer(self.file)
        self.csv.writerow(["time_us", "event_type", "value"])

    def advance(self, target, incoming):
        for e in incoming:
            heapq.heappush(self.q, Ev(e["time_us"], e["type"]))
        out = []
        while self.q and self.q[0].t < target:
            e = heapq.heappop(self.q)
            if e.kind != "SAMPLE":
                continue
            temp = self.rng.gauss(20.0, 2.0)
            self.csv.writerow([e.t, "sample", temp])
            heapq.heappush(self.q, Ev(e.t + 1_000_000, "SAMPLE"))
            self.sent += 1
            out.append({"time_us": e.t, "type": "TRANSMIT", "src": self.id, "dst": "gateway",
                        "payload": {"temperature": temp, "unit": "C", "sample_id": self.sent},
                        "size_bytes": 64})
            self.csv.writerow([e.t, "transmit", self.sent])
        return out

    def close(self):
        self.file.close()


class Gateway:
    def init(self, node_id, cfg):
        self.id, self.q, self.readings = node_id, [Ev(5_000_000, "AGGREGATE")], {}
        self.file = open(f"{node_id}_metrics.csv", "w", newline="")
        self.csv = csv.writer(self.file)
        self.csv.writerow(["time_us", "event_type", "value", "details"])

    def advance(self, target, incoming):
        for e in incoming:
            if e["type"] == "TRANSMIT":
                heapq.heappush(self.q, Ev(e["time_us"] + 100, "PROCESS", e["payload"]))
        while self.q and self.q[0].t < target:
            e = heapq.heappop(self.q)
            if e.kind == "PROCESS":
                key, temp = e.data.get("sample_id", 0), e.data.get("temperature", 0)
                self.readings.setdefault(key, []).append(temp)
                self.csv.writerow([e.t, "process", temp, f"sample_{key}"])
            elif e.kind == "AGGREGATE":
                temps = [x for group in self.readings.values() for x in group]
                if temps:
                    self.csv.writerow([e.t, "aggregate", sum(temps) / len(temps),
                                       f"count={len(temps)},min={min(temps):.2f},max={max(temps):.2f}"])
                heapq.heappush(self.q, Ev(e.t + 5_000_000, "AGGREGATE"))
        return []

    def close(self):
        self.file.close()


if __name__ == "__main__":
    model = {"sensor": Sensor, "gateway": Gateway}[sys.argv[1]]()
    if sys.argv[2] == "--stdio":
        serve_stdio(model)
    else:
        serve(int(sys.argv[2]), model)
