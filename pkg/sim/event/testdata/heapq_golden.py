# Generates heapq_golden.txt: a push/pop script and the labels CPython's heapq
# pops, with items compared by time only (as upstream's node events are).
import heapq, random

class E:
    def __init__(self, t, label): self.t, self.label = t, label
    def __lt__(self, o): return self.t < o.t

r = random.Random(7)
h, lines, label = [], [], 0
for _ in range(4000):
    if h and r.random() < 0.45:
        lines.append("pop %d" % heapq.heappop(h).label)
    else:
        t = r.randrange(0, 12)  # few distinct times: many ties
        heapq.heappush(h, E(t, label)); lines.append("push %d %d" % (t, label)); label += 1
while h:
    lines.append("pop %d" % heapq.heappop(h).label)
open("heapq_golden.txt", "w").write("\n".join(lines) + "\n")
