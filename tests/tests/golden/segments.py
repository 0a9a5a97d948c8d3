# v5 segments with the Python driver's SegmentCodec.
#   encode <in> <out>: <in> holds hex frames one per line; <out> gets, per line,
#     "<plain segments hex> <compressed-codec segments hex>" where the
#     compressed codec never wins (the driver's LZ4 is not installed), so it
#     stores payloads with the 5-byte header.
#   decode <in> <out>: <in> holds hex segment streams one per line (plain
#     codec); <out> gets the concatenated payloads of each, in hex.
import io
import sys

from cassandra.segment import SegmentCodec

plain = SegmentCodec()
stored = SegmentCodec(lambda d: b"\0\0\0\0" + d + b"never-smaller", lambda d: d)

mode, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for line in open(src).read().split():
    data = bytes.fromhex(line)
    if mode == "encode":
        a, b = io.BytesIO(), io.BytesIO()
        plain.encode(a, data)
        stored.encode(b, data)
        out.append(a.getvalue().hex() + " " + b.getvalue().hex())
    else:
        buf = io.BytesIO(data)
        payload = b""
        while buf.tell() < len(data):
            header = plain.decode_header(buf)
            payload += plain.decode(buf, header).payload
        out.append(payload.hex())
open(dst, "w").write("\n".join(out) + "\n")
