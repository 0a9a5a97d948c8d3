# Encodes representative requests with the Python driver's own message
# encoder and prints one line per case: "<name> <version> <hex>".
import sys

from cassandra import ConsistencyLevel as CL
from cassandra.marshal import int32_pack
from cassandra.protocol import (
    _UNSET_VALUE, AuthResponseMessage, BatchMessage, ExecuteMessage, OptionsMessage,
    PrepareMessage, ProtocolHandler, QueryMessage, RegisterMessage, StartupMessage)
from cassandra.query import BatchType


def emit(name, msg, stream, version):
    data = ProtocolHandler.encode_message(msg, stream, version, None, False)
    sys.stdout.write("%s %d %s\n" % (name, version, data.hex()))


def query(keyspace=None):
    msg = QueryMessage(
        "SELECT * FROM ks.t WHERE k = ? AND c > ? AND d = ?", CL.LOCAL_QUORUM,
        serial_consistency_level=CL.LOCAL_SERIAL, fetch_size=100,
        paging_state=b"\x00\x01state", timestamp=1700000000123456, keyspace=keyspace)
    # QueryMessage leaves values to the caller: bind raw serialized values.
    msg.query_params = [int32_pack(7), None, _UNSET_VALUE]
    return msg


for v in (4, 5):
    emit("startup", StartupMessage("3.4.7", {
        "COMPRESSION": "lz4", "CQL_VERSION": "", "DRIVER_NAME": "Apache Cassandra Python Driver",
        "DRIVER_VERSION": "3.30.1"}), 0, v)
    # The driver's own key order (not sorted): compared after decoding only.
    emit("startup_driver_order", StartupMessage("3.4.7", {
        "DRIVER_NAME": "Apache Cassandra Python Driver", "DRIVER_VERSION": "3.30.1"}), 0, v)
    emit("options", OptionsMessage(), 1, v)
    emit("query", query(), 7, v)
    traced = QueryMessage("SELECT now() FROM system.local", CL.ONE)
    traced.tracing = True
    traced.custom_payload = {"k": b"v"}
    emit("query_traced", traced, 8, v)
    emit("prepare", PrepareMessage("INSERT INTO ks.t (k, v) VALUES (?, ?)"), 2, v)
    emit("execute", ExecuteMessage(
        b"\x12\x34\x56\x78", [int32_pack(1), b"abc", None], CL.QUORUM,
        serial_consistency_level=CL.SERIAL, fetch_size=5000, paging_state=b"ps",
        timestamp=1234567, result_metadata_id=(b"\xab\xcd" if v >= 5 else None)), 300, v)
    emit("batch", BatchMessage(BatchType.UNLOGGED, [
        (False, "INSERT INTO ks.t (k) VALUES (1)", []),
        (True, b"\x01\x02", [int32_pack(2), None]),
        (False, "UPDATE ks.t SET v = ? WHERE k = 3", [b"x"]),
    ], CL.ONE, serial_consistency_level=CL.LOCAL_SERIAL, timestamp=42), 32767, v)
    emit("register", RegisterMessage(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]), 9, v)
    emit("auth_response", AuthResponseMessage(b"\x00cassandra\x00cassandra"), 10, v)

emit("query_keyspace", query(keyspace="ks"), 11, 5)
emit("prepare_keyspace", PrepareMessage("SELECT * FROM t", keyspace="ks"), 12, 5)
emit("batch_keyspace", BatchMessage(BatchType.LOGGED, [(True, b"\x09", [b"y"])], CL.TWO,
                                    timestamp=None, keyspace="ks"), 13, 5)
