# Decodes response frames with the Python driver's own decoder and prints one
# normalized line per frame. <in> holds "<version> <hex frame>" lines.
import sys
import uuid

from cassandra.protocol import ErrorMessage, ProtocolHandler, ResultMessage


def norm(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, bytes):
        return "0x" + v.hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if hasattr(v, "items"):
        return sorted((norm(k), norm(x)) for k, x in v.items())
    if isinstance(v, (set, frozenset)) or type(v).__name__ == "SortedSet":
        return sorted(norm(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    return str(v)


def cols(md):
    return ["%s.%s.%s:%s" % (c[0], c[1], c[2], c[3].cql_parameterized_type()) for c in md or []]


def describe(m):
    name = type(m).__name__
    if isinstance(m, ErrorMessage):
        return "ERROR %04x %s %r %r" % (m.code, name, m.message, norm(m.info))
    if isinstance(m, ResultMessage):
        if m.kind == 1:
            return "VOID"
        if m.kind == 2:
            return "ROWS %r %r paging=%r" % (cols(m.column_metadata), norm(m.parsed_rows),
                                             norm(m.paging_state))
        if m.kind == 3:
            return "SET_KEYSPACE %s" % m.new_keyspace
        if m.kind == 4:
            return "PREPARED id=%s rmid=%r pk=%r binds=%r result=%r" % (
                m.query_id.hex(), norm(m.result_metadata_id), m.pk_indexes,
                cols(m.bind_metadata), cols(m.column_metadata))
        if m.kind == 5:
            return "SCHEMA_CHANGE %r" % norm(m.schema_change_event)
    if name == "EventMessage":
        return "EVENT %s %r" % (m.event_type, norm(m.event_args))
    if name == "SupportedMessage":
        return "SUPPORTED %r %r" % (m.cql_versions, norm(m.options))
    if name == "AuthenticateMessage":
        return "AUTHENTICATE %s" % m.authenticator
    if name == "AuthSuccessMessage":
        return "AUTH_SUCCESS %r" % norm(m.token)
    if name == "ReadyMessage":
        return "READY"
    return "UNKNOWN " + name


out = []
for line in open(sys.argv[1]).read().splitlines():
    version, data = line.split(" ")
    data = bytes.fromhex(data)
    flags, stream, opcode = data[1], int.from_bytes(data[2:4], "big", signed=True), data[4]
    body = data[9:]
    msg = ProtocolHandler.decode_message(int(version), {}, stream, flags, opcode, body, None, None)
    out.append("%d %s %s" % (stream, describe(msg), norm(msg.warnings)))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
